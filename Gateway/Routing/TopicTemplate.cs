namespace Orleans.IoT.Gateway.Routing;

/// <summary>A topic pattern such as <c>iot/devices/data/{device_id}/{sensor_type}</c>: literal and parameter segments.</summary>
public sealed class TopicTemplate
{
    private readonly Segment[] _segments;

    public TopicTemplate(string template)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(template);
        Text = template;
        _segments = template.Split('/').Select(Parse).ToArray();
        var names = _segments.Where(s => s.IsParameter).Select(s => s.Text).ToList();
        if (names.Count != names.Distinct(StringComparer.Ordinal).Count())
        {
            throw new ArgumentException($"topic template '{template}' names a parameter twice", nameof(template));
        }

        ParameterNames = names;
    }

    public string Text { get; }

    public int SegmentCount => _segments.Length;

    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>The template as an MQTT subscription filter: each parameter becomes <c>+</c>.</summary>
    public string ToSubscriptionFilter() => string.Join('/', _segments.Select(s => s.IsParameter ? "+" : s.Text));

    /// <summary>
    /// Matches <paramref name="topic"/> segment by segment. On a match, the parameter values are written
    /// to <paramref name="values"/> in template order.
    /// </summary>
    public bool TryMatch(string topic, Span<Range> values)
    {
        var topicSpan = topic.AsSpan();
        var position = 0;
        var parameter = 0;
        for (var i = 0; i < _segments.Length; i++)
        {
            if (position > topicSpan.Length)
            {
                return false;
            }

            var rest = topicSpan[position..];
            var slash = rest.IndexOf('/');
            var isLast = i == _segments.Length - 1;
            if (isLast != (slash < 0))
            {
                return false;
            }

            var length = slash < 0 ? rest.Length : slash;
            var segment = _segments[i];
            if (segment.IsParameter)
            {
                if (length == 0)
                {
                    return false;
                }

                values[parameter++] = new Range(position, position + length);
            }
            else if (!rest[..length].SequenceEqual(segment.Text))
            {
                return false;
            }

            position += length + 1;
        }

        return true;
    }

    public override string ToString() => Text;

    private static Segment Parse(string segment)
    {
        if (segment.Length == 0)
        {
            throw new ArgumentException("topic templates have no empty segments");
        }

        if (segment.StartsWith('{') && segment.EndsWith('}') && segment.Length > 2)
        {
            return new Segment(segment[1..^1], IsParameter: true);
        }

        if (segment.AsSpan().ContainsAny("{}+#"))
        {
            throw new ArgumentException($"'{segment}' is neither a literal segment nor a {{parameter}}");
        }

        return new Segment(segment, IsParameter: false);
    }

    private readonly record struct Segment(string Text, bool IsParameter);
}
