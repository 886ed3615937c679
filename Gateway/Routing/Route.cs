namespace Orleans.IoT.Gateway.Routing;

/// <summary>A topic template bound to a handler, with its QoS, its publisher and its middleware pipeline.</summary>
public sealed class Route
{
    public Route(string name, TopicTemplate template, MessageHandler handler, int qos, CallerKind publisher, IReadOnlyList<IMessageMiddleware> middleware)
    {
        if (qos is < 0 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(qos), qos, "QoS is 0, 1 or 2");
        }

        Name = name;
        Template = template;
        Handler = handler;
        Qos = qos;
        Publisher = publisher;
        Middleware = middleware;
        Pipeline = Compose(middleware, handler);
    }

    public string Name { get; }

    public TopicTemplate Template { get; }

    public MessageHandler Handler { get; }

    /// <summary>The QoS the route is served at (the subscription QoS behind an external broker).</summary>
    public int Qos { get; }

    public CallerKind Publisher { get; }

    public IReadOnlyList<IMessageMiddleware> Middleware { get; }

    /// <summary>The middleware in order, then the handler.</summary>
    public MessageHandler Pipeline { get; }

    public override string ToString() => Template.Text;

    private static MessageHandler Compose(IReadOnlyList<IMessageMiddleware> middleware, MessageHandler handler)
    {
        var next = handler;
        for (var i = middleware.Count - 1; i >= 0; i--)
        {
            var step = middleware[i];
            var inner = next;
            next = context => step.InvokeAsync(context, inner);
        }

        return next;
    }
}
