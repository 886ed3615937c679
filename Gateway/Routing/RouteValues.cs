namespace Orleans.IoT.Gateway.Routing;

/// <summary>The parameter values of a matched topic, in template order.</summary>
public sealed class RouteValues
{
    public static readonly RouteValues Empty = new([], []);

    private readonly IReadOnlyList<string> _names;
    private readonly string[] _values;

    public RouteValues(IReadOnlyList<string> names, string[] values)
    {
        _names = names;
        _values = values;
    }

    public int Count => _values.Length;

    public string? this[string name]
    {
        get
        {
            for (var i = 0; i < _names.Count; i++)
            {
                if (string.Equals(_names[i], name, StringComparison.Ordinal))
                {
                    return _values[i];
                }
            }

            return null;
        }
    }

    public string Required(string name) =>
        this[name] ?? throw new InvalidOperationException($"the route has no {{{name}}} parameter");
}
