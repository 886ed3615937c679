namespace Orleans.IoT.Gateway.Routing;

/// <summary>Says whether a value is acceptable for a route parameter.</summary>
public delegate bool ParameterRule(ReadOnlySpan<char> value);

/// <summary>
/// Maps topics to routes. Routes are declared in groups that share a topic prefix and middleware:
/// <code>
/// router.Group("iot/devices", [auth], devices =>
/// {
///     devices.On("register/{device_id}", handlers.Register, qos: 1, publisher: CallerKind.Provisioning);
/// });
/// </code>
/// Parameters are checked by the rule registered for their name, or by the default rule.
/// </summary>
public sealed class TopicRouter
{
    private readonly List<Route> _routes = [];
    private readonly Dictionary<string, ParameterRule> _rules;
    private readonly ParameterRule _defaultRule;

    public TopicRouter(IReadOnlyDictionary<string, ParameterRule>? rules = null, ParameterRule? defaultRule = null)
    {
        _rules = new Dictionary<string, ParameterRule>(rules ?? new Dictionary<string, ParameterRule>(), StringComparer.Ordinal);
        _defaultRule = defaultRule ?? (static _ => true);
    }

    public IReadOnlyList<Route> Routes => _routes;

    public RouteGroup Group(string prefix, IReadOnlyList<IMessageMiddleware> middleware, Action<RouteGroup> configure)
    {
        var group = new RouteGroup(this, prefix, middleware);
        configure(group);
        return group;
    }

    public Route On(string template, MessageHandler handler, int qos = 0, CallerKind publisher = CallerKind.Device, string? name = null) =>
        Add(template, handler, qos, publisher, [], name);

    internal Route Add(string template, MessageHandler handler, int qos, CallerKind publisher, IReadOnlyList<IMessageMiddleware> middleware, string? name)
    {
        var parsed = new TopicTemplate(template);
        if (_routes.Any(r => r.Template.ToSubscriptionFilter() == parsed.ToSubscriptionFilter()))
        {
            throw new ArgumentException($"a route for '{template}' already exists", nameof(template));
        }

        var route = new Route(name ?? template, parsed, handler, qos, publisher, middleware);
        _routes.Add(route);
        return route;
    }

    /// <summary>Finds the route for <paramref name="topic"/> and checks its parameters.</summary>
    public RouteMatch Match(string topic)
    {
        var segments = topic.AsSpan().Count('/') + 1;
        Span<Range> ranges = stackalloc Range[8];
        foreach (var route in _routes)
        {
            var template = route.Template;
            if (template.SegmentCount != segments || template.ParameterNames.Count > ranges.Length || !template.TryMatch(topic, ranges))
            {
                continue;
            }

            var names = template.ParameterNames;
            var values = new string[names.Count];
            string? invalid = null;
            for (var i = 0; i < names.Count; i++)
            {
                var value = topic.AsSpan(ranges[i]);
                if (invalid is null && !RuleFor(names[i])(value))
                {
                    invalid = names[i];
                }

                values[i] = value.ToString();
            }

            var routeValues = new RouteValues(names, values);
            return invalid is null
                ? RouteMatch.Matched(route, routeValues)
                : RouteMatch.InvalidParameter(route, routeValues, invalid);
        }

        return RouteMatch.NoRoute;
    }

    /// <summary>True when <paramref name="name"/>'s value in <paramref name="values"/> passes its rule.</summary>
    public bool IsValid(string name, string? value) => value is not null && RuleFor(name)(value);

    private ParameterRule RuleFor(string name) => _rules.TryGetValue(name, out var rule) ? rule : _defaultRule;
}

/// <summary>Routes sharing a topic prefix and middleware; groups nest.</summary>
public sealed class RouteGroup
{
    private readonly TopicRouter _router;
    private readonly string _prefix;
    private readonly IReadOnlyList<IMessageMiddleware> _middleware;

    internal RouteGroup(TopicRouter router, string prefix, IReadOnlyList<IMessageMiddleware> middleware)
    {
        _router = router;
        _prefix = prefix.Trim('/');
        _middleware = middleware;
    }

    public Route On(string template, MessageHandler handler, int qos = 0, CallerKind publisher = CallerKind.Device, string? name = null) =>
        _router.Add(Join(template), handler, qos, publisher, _middleware, name);

    public RouteGroup Group(string prefix, IReadOnlyList<IMessageMiddleware> middleware, Action<RouteGroup> configure)
    {
        var group = new RouteGroup(_router, Join(prefix), [.. _middleware, .. middleware]);
        configure(group);
        return group;
    }

    private string Join(string template) => _prefix.Length == 0 ? template.Trim('/') : $"{_prefix}/{template.Trim('/')}";
}

public enum RouteMatchStatus
{
    Matched,
    NoRoute,
    InvalidParameter,
}

public sealed class RouteMatch
{
    public static readonly RouteMatch NoRoute = new(RouteMatchStatus.NoRoute, null, RouteValues.Empty, null);

    private RouteMatch(RouteMatchStatus status, Route? route, RouteValues values, string? invalidParameter)
    {
        Status = status;
        Route = route;
        Values = values;
        InvalidParameterName = invalidParameter;
    }

    public RouteMatchStatus Status { get; }

    /// <summary>The route whose shape the topic has; null when no route has it.</summary>
    public Route? Route { get; }

    public RouteValues Values { get; }

    /// <summary>The first parameter whose value broke its rule.</summary>
    public string? InvalidParameterName { get; }

    public static RouteMatch Matched(Route route, RouteValues values) => new(RouteMatchStatus.Matched, route, values, null);

    public static RouteMatch InvalidParameter(Route route, RouteValues values, string name) =>
        new(RouteMatchStatus.InvalidParameter, route, values, name);
}
