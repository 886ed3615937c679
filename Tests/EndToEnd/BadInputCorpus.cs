using System.Text;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Which session publishes a corpus case.</summary>
public enum CorpusSender
{
    /// <summary>The device's own session (user = client id = device id, password = its token): validation, not authentication, decides.</summary>
    Device,

    /// <summary>An anonymous session: registrations, and messages for a device without its token.</summary>
    Anonymous,

    /// <summary>An operator session, which may publish anything: for malformed device ids and topics, so that only the topic is judged.</summary>
    Operator,

    /// <summary>A hand-encoded MQTT 5 connection of <see cref="BadInputCorpus.RawDeviceId"/>, for what MQTTnet's client refuses to send.</summary>
    RawDevice,

    /// <summary>A hand-encoded MQTT 5 connection of an operator.</summary>
    RawOperator,
}

/// <summary>
/// One malformed message and what the contract (DESIGN §2) says becomes of it: a PUBACK carrying one of
/// <see cref="Codes"/>, or, when <see cref="MayClose"/>, the end of the sender's own connection.
/// </summary>
/// <param name="Kind">The kind of damage, for the report: <c>control_char</c>, <c>wildcard_topic</c>, ...</param>
/// <param name="Where">The route and field that carry it: <c>data.unit</c>, <c>status.property_name</c>, ...</param>
/// <param name="Variant">The damage itself: <c>escaped U+0000</c>, <c>depth 1000</c>, ...</param>
/// <param name="DeviceId">The sending device, for <see cref="CorpusSender.Device"/>; else null.</param>
/// <param name="TokenProperty">An <c>auth_token</c> MQTT 5 user property to send, or null.</param>
public sealed record CorpusCase(
    int Number,
    string Kind,
    string Where,
    string Variant,
    CorpusSender Sender,
    string? DeviceId,
    byte[] Topic,
    byte[] Payload,
    string[] Codes,
    bool MayClose = false,
    string? TokenProperty = null)
{
    public string TopicText => Encoding.UTF8.GetString(Topic);

    public override string ToString() => $"#{Number} {Kind} {Where} ({Variant})";
}

/// <summary>
/// The bad-input corpus: a deterministic (seeded) set of malformed payloads and topics over every inbound
/// device route, each with the outcome DESIGN §2 gives it. Every bad string carries <see cref="Marker"/>,
/// so that a reason string that echoes input is caught.
/// </summary>
public sealed class BadInputCorpus
{
    /// <summary>Text in every piece of bad input that a reason string must never repeat.</summary>
    public const string Marker = "ZQXJ";

    /// <summary>Devices that share the device cases of heartbeat, data and status, round robin (well under the rate limit).</summary>
    public const int SharedDeviceCount = 8;

    /// <summary>The sensor type of the valid reading each device sends after the corpus; no case uses it.</summary>
    public const string FinalSensorType = "corpus_final";

    private const string VF = ErrorCodes.ValidationFailed;
    private const string IJ = ErrorCodes.InvalidJson;
    private const string UR = ErrorCodes.UnknownRoute;

    private static readonly string[] SensorTypes = ["temperature", "humidity", "pressure", "co2", "voltage"];

    private static readonly string[] RouteWords =
        ["register", "unregister", "heartbeat", "data", "status", "control", "firmware", "commands", "config", "errors", "events", "alerts"];

    private readonly Random _random;
    private readonly string _tag;
    private readonly double _now;
    private readonly int _maxPayloadBytes;
    private readonly List<CorpusCase> _cases = [];
    private readonly List<string> _shared = [];
    private readonly List<string> _isolated = [];
    private readonly List<string> _registrationIds = [];
    private readonly Dictionary<string, SortedSet<string>> _sensorTypes = new(StringComparer.Ordinal);
    private int _nextShared;
    private int _nextSensor;

    private BadInputCorpus(int seed, string tag, double now, int maxPayloadBytes)
    {
        _random = new Random(seed);
        _tag = tag;
        _now = now;
        _maxPayloadBytes = maxPayloadBytes;
        for (var i = 0; i < SharedDeviceCount; i++)
        {
            _shared.Add($"c{tag}-d{i}");
        }

        RawDeviceId = $"c{tag}-raw";
    }

    private enum Route
    {
        Register,
        Unregister,
        Heartbeat,
        Data,
        Status,
    }

    public IReadOnlyList<CorpusCase> Cases => _cases;

    /// <summary>Every device the corpus needs registered before it runs; each must come out of it unchanged.</summary>
    public IEnumerable<string> Devices => [.. _shared, .. _isolated, RawDeviceId];

    /// <summary>The device of the hand-encoded connection.</summary>
    public string RawDeviceId { get; }

    /// <summary>The device ids that registration cases name; none may be registered afterwards.</summary>
    public IReadOnlyList<string> RegistrationIds => _registrationIds;

    /// <summary>The sensor types the corpus's data topics name for <paramref name="deviceId"/>, and the final one.</summary>
    public IEnumerable<string> SensorTypesOf(string deviceId) =>
        [.. _sensorTypes.GetValueOrDefault(deviceId) ?? [], FinalSensorType];

    /// <param name="tag">A short lower-case hex string that makes this run's device ids unique.</param>
    /// <param name="now">Receive time as Unix seconds, for the timestamp cases.</param>
    public static BadInputCorpus Generate(int seed, string tag, double now, int maxPayloadBytes)
    {
        var corpus = new BadInputCorpus(seed, tag, now, maxPayloadBytes);
        corpus.TruncatedJson();
        corpus.DeepNesting();
        corpus.NotAnObject();
        corpus.InvalidUtf8();
        corpus.BinaryGarbage();
        corpus.WrongTypes();
        corpus.MissingRequired();
        corpus.HugeNumbers();
        corpus.BadNumberSyntax();
        corpus.Timestamps();
        corpus.ControlCharacters();
        corpus.LoneSurrogates();
        corpus.BadIdentifiers();
        corpus.UnknownRoutes();
        corpus.WildcardTopics();
        corpus.TopicEncoding();
        corpus.TooLarge();
        corpus.Unauthenticated();
        return corpus;
    }

    // ---- payload damage, per route ----------------------------------------------------------------------

    /// <summary>A string field of each route: <c>§</c> stands for the (bad) string literal.</summary>
    private static readonly (Route Route, string Where, string Template)[] StringSlots =
    [
        (Route.Data, "data.unit", """{"value":21.5,"unit":§}"""),
        (Route.Data, "data.quality", """{"value":21.5,"quality":§}"""),
        (Route.Data, "data.extra", """{"value":21.5,"note":§}"""),
        (Route.Data, "data.nested_extra", """{"value":21.5,"meta":{"site":{"room":§}}}"""),
        (Route.Data, "data.array_extra", """{"value":21.5,"tags":["ok",§]}"""),
        (Route.Status, "status.status", """{"status":§}"""),
        (Route.Status, "status.extra", """{"status":"maintenance","reason":§}"""),
        (Route.Status, "status.nested_extra", """{"status":"maintenance","detail":{"log":[§]}}"""),
        (Route.Heartbeat, "heartbeat.extra", """{"battery_level":80,"note":§}"""),
        (Route.Register, "register.name", """{"name":§,"type":"sensor"}"""),
        (Route.Register, "register.type", """{"name":"Corpus","type":§}"""),
        (Route.Register, "register.firmware_version", """{"name":"Corpus","type":"sensor","firmware_version":§}"""),
        (Route.Register, "register.hardware_version", """{"name":"Corpus","type":"sensor","hardware_version":§}"""),
        (Route.Register, "register.location", """{"name":"Corpus","type":"sensor","location":§}"""),
        (Route.Register, "register.capabilities", """{"name":"Corpus","type":"sensor","capabilities":["temperature",§]}"""),
        (Route.Register, "register.extra", """{"name":"Corpus","type":"sensor","vendor":§}"""),
        (Route.Unregister, "unregister.extra", """{"reason":§}"""),
    ];

    /// <summary>A property name of each route: <c>§</c> stands for the (bad) name literal.</summary>
    private static readonly (Route Route, string Where, string Template)[] NameSlots =
    [
        (Route.Data, "data.property_name", """{"value":21.5,§:1}"""),
        (Route.Data, "data.nested_property_name", """{"value":21.5,"meta":{§:"x"}}"""),
        (Route.Status, "status.property_name", """{"status":"ok",§:"x"}"""),
        (Route.Heartbeat, "heartbeat.property_name", """{"battery_level":80,§:1}"""),
        (Route.Register, "register.property_name", """{"name":"Corpus","type":"sensor",§:"x"}"""),
        (Route.Unregister, "unregister.property_name", """{§:"x"}"""),
    ];

    /// <summary>Each route's payload with one extra field: <c>§</c> stands for its JSON value.</summary>
    private static readonly (Route Route, string Template)[] ExtraFieldSlots =
    [
        (Route.Data, """{"value":21.5,"deep":§}"""),
        (Route.Status, """{"status":"ok","deep":§}"""),
        (Route.Heartbeat, """{"battery_level":80,"deep":§}"""),
        (Route.Register, """{"name":"Corpus","type":"sensor","deep":§}"""),
        (Route.Unregister, """{"deep":§}"""),
    ];

    /// <summary>A valid payload of each route, with text in it (for truncation and padding).</summary>
    private static readonly (Route Route, string Payload)[] ValidPayloads =
    [
        (Route.Data, """{"value":21.5,"unit":"celsiusZQXJ","quality":"good","timestamp":1700000000.25}"""),
        (Route.Heartbeat, """{"battery_level":85,"signal_strength":-67,"memory_usage":45.2,"cpu_usage":12.5,"noteZQXJ":"x"}"""),
        (Route.Status, """{"status":"maintenanceZQXJ","reason":"filter","detail":{"a":[1,2,{"b":"c"}]}}"""),
        (Route.Register, """{"name":"Sensor ZQXJ","type":"sensor","capabilities":["temperature","humidity"],"location":"Room 1"}"""),
        (Route.Unregister, """{"reason":"decommissionedZQXJ","at":1700000000}"""),
    ];

    private static string ValidPayload(Route route) => ValidPayloads.Single(p => p.Route == route).Payload;

    private void TruncatedJson()
    {
        foreach (var (route, payload) in ValidPayloads)
        {
            var bytes = Encoding.UTF8.GetBytes(payload);
            var cuts = new SortedSet<int> { bytes.Length - 1 };
            while (cuts.Count < (route == Route.Unregister ? 3 : 6))
            {
                cuts.Add(_random.Next(1, bytes.Length - 1));
            }

            foreach (var cut in cuts)
            {
                AddPayload("truncated_json", route, $"{RouteName(route)}.payload", $"first {cut} of {bytes.Length} bytes", bytes[..cut], IJ);
            }
        }

        AddPayload("truncated_json", Route.Data, "data.unit", "inside an escape", Utf8("""{"value":21.5,"unit":"ZQXJ\u00"""), IJ);
        AddPayload("truncated_json", Route.Status, "status.status", "after a backslash", Utf8("""{"status":"ZQXJ\"""), IJ);
    }

    /// <summary>
    /// Nesting deeper than any device needs (total depth 33 to 1000). The contract sets no depth, so a
    /// well-formed deep document may be refused as <c>invalid_json</c> (the parser's limit) or
    /// <c>validation_failed</c>; a deep array at the root or an unclosed one is <c>invalid_json</c> either way.
    /// </summary>
    private void DeepNesting()
    {
        foreach (var (route, template) in ExtraFieldSlots)
        {
            var where = $"{RouteName(route)}.extra";
            int[] depths = route == Route.Unregister ? [33] : DepthsUpTo(1000);
            foreach (var depth in depths)
            {
                AddPayload("deep_nesting", route, where, $"arrays, depth {depth}", Splice(template, Utf8(Arrays(depth - 1, ""))), IJ, VF);
            }

            int[] objectDepths = route == Route.Unregister ? [600] : DepthsUpTo(600);
            foreach (var depth in objectDepths)
            {
                AddPayload("deep_nesting", route, where, $"objects, depth {depth}", Splice(template, Objects(depth - 1)), IJ, VF);
            }

            if (route == Route.Unregister)
            {
                continue;
            }

            foreach (var depth in DepthsUpTo(1000))
            {
                AddPayload("deep_nesting", route, $"{RouteName(route)}.payload", $"arrays at the root, depth {depth}", Utf8(Arrays(depth, "")), IJ);
                AddPayload("deep_nesting", route, where, $"unclosed arrays, depth {depth}", Splice(template, Utf8(new string('[', depth - 1)))[..^1], IJ);
            }
        }

        foreach (var depth in DepthsUpTo(1000))
        {
            AddPayload("deep_nesting", Route.Data, "data.value", $"arrays, depth {depth}", Utf8($$"""{"value":{{Arrays(depth - 1, "21.5")}}}"""), IJ, VF);
        }
    }

    private int[] DepthsUpTo(int max) => [33, _random.Next(34, max), max];

    private static string Arrays(int depth, string inner) => new string('[', depth) + inner + new string(']', depth);

    private static byte[] Objects(int depth)
    {
        var text = new StringBuilder();
        text.Insert(0, "{\"a\":", depth - 1).Append("{}").Append('}', depth - 1);
        return Utf8(text.ToString());
    }

    private void NotAnObject()
    {
        string[] values = ["[]", """[{"value":21.5}]""", "\"ZQXJ\"", "21.5", "true", "null", "\"{\\\"value\\\":21.5}\"", "[1,2,3]"];
        foreach (var route in Enum.GetValues<Route>())
        {
            for (var i = 0; i < values.Length; i++)
            {
                // Every unregister case costs a device of its own (see AddPayload): take half of them there.
                if (route != Route.Unregister || i % 2 == 0)
                {
                    AddPayload("not_an_object", route, $"{RouteName(route)}.payload", values[i], Utf8(values[i]), IJ);
                }
            }
        }
    }

    /// <summary>Bytes that are not UTF-8. A payload that is not UTF-8 is not a UTF-8 JSON text: <c>invalid_json</c>.</summary>
    private static readonly (string Name, byte[] Bytes)[] InvalidUtf8Sequences =
    [
        ("byte FF", [0xFF, (byte)'z']),
        ("byte FE", [0xFE, (byte)'z']),
        ("overlong C0 AF", [0xC0, 0xAF, (byte)'z']),
        ("overlong E0 80 AF", [0xE0, 0x80, 0xAF, (byte)'z']),
        ("encoded surrogate ED A0 80", [0xED, 0xA0, 0x80, (byte)'z']),
        ("encoded surrogate ED BF BF", [0xED, 0xBF, 0xBF, (byte)'z']),
        ("above U+10FFFF F4 90 80 80", [0xF4, 0x90, 0x80, 0x80, (byte)'z']),
        ("five-byte form F8 88 80 80 80", [0xF8, 0x88, 0x80, 0x80, 0x80, (byte)'z']),
        ("lone continuation 80", [0x80, (byte)'z']),
        ("truncated C3 at the end", [0xC3]),
        ("truncated E2 82 at the end", [0xE2, 0x82]),
    ];

    private static readonly HashSet<string> InvalidUtf8Slots =
    [
        "data.unit", "data.extra", "data.property_name", "status.status", "status.extra", "heartbeat.extra",
        "heartbeat.property_name", "register.name", "register.capabilities", "register.property_name",
        "unregister.extra", "unregister.property_name",
    ];

    private void InvalidUtf8()
    {
        foreach (var (route, where, template) in StringSlots.Concat(NameSlots).Where(s => InvalidUtf8Slots.Contains(s.Where)))
        {
            for (var i = 0; i < InvalidUtf8Sequences.Length; i++)
            {
                if (route != Route.Unregister || i % 4 == 0)
                {
                    var (name, bytes) = InvalidUtf8Sequences[i];
                    AddPayload("invalid_utf8", route, where, name, Splice(template, BadString(bytes)), IJ);
                }
            }
        }

        foreach (var (name, bytes) in InvalidUtf8Sequences)
        {
            AddPayload("invalid_utf8", Route.Data, "data.outside_strings", $"{name} after the object", Splice("""{"value":21.5}§""", bytes), IJ);
            AddPayload("invalid_utf8", Route.Data, "data.outside_strings", $"{name} before a number", Splice("""{"value":§21.5}""", bytes), IJ);
        }
    }

    private void BinaryGarbage()
    {
        foreach (var route in Enum.GetValues<Route>())
        {
            for (var i = 0; i < (route == Route.Unregister ? 1 : 2); i++)
            {
                var bytes = new byte[_random.Next(1, 300)];
                _random.NextBytes(bytes);
                bytes[0] = 0xFF; // never valid JSON, never empty
                AddPayload("binary_garbage", route, $"{RouteName(route)}.payload", $"{bytes.Length} random bytes", bytes, IJ);
            }
        }
    }

    private void WrongTypes()
    {
        (Route Route, string Field, string Template, string[] Values)[] slots =
        [
            (Route.Data, "value", """{"value":§}""", ["\"ZQXJ hot\"", "\"21.5\"", "true", "false", "[]", "[21.5]", "{}", """{"v":21.5}"""]),
            (Route.Data, "unit", """{"value":21.5,"unit":§}""", ["1", "true", "[]", """{"u":"c"}"""]),
            (Route.Data, "quality", """{"value":21.5,"quality":§}""", ["0", "false", "[\"good\"]", "{}"]),
            (Route.Data, "timestamp", """{"value":21.5,"timestamp":§}""", ["\"2024-01-01T00:00:00ZQXJ\"", "\"1700000000\"", "true", "[]", "{}"]),
            (Route.Heartbeat, "battery_level", """{"battery_level":§}""", ["\"85ZQXJ\"", "true", "[85]", "{}"]),
            (Route.Heartbeat, "signal_strength", """{"signal_strength":§}""", ["\"-67ZQXJ\"", "false", "[-67]", "{}"]),
            (Route.Heartbeat, "memory_usage", """{"memory_usage":§}""", ["\"45.2ZQXJ\"", "true", "[]", "{\"m\":1}"]),
            (Route.Heartbeat, "cpu_usage", """{"cpu_usage":§}""", ["\"12.5ZQXJ\"", "true", "[12.5]", "{}"]),
            (Route.Status, "status", """{"status":§}""", ["1", "true", "[\"ok\"]", """{"s":"ok"}"""]),
            (Route.Register, "name", """{"name":§,"type":"sensor"}""", ["1", "true", "[]", "{}"]),
            (Route.Register, "type", """{"name":"Corpus","type":§}""", ["1", "false", "[\"sensor\"]", "{}"]),
            (Route.Register, "firmware_version", """{"name":"Corpus","type":"sensor","firmware_version":§}""", ["1.2", "false", "[]", "{}"]),
            (Route.Register, "hardware_version", """{"name":"Corpus","type":"sensor","hardware_version":§}""", ["2", "true", "[\"2.1\"]", "{}"]),
            (Route.Register, "location", """{"name":"Corpus","type":"sensor","location":§}""", ["101", "true", "[]", """{"room":1}"""]),
            (Route.Register, "capabilities", """{"name":"Corpus","type":"sensor","capabilities":§}""",
                ["\"temperatureZQXJ\"", "5", "{}", "[1]", "[null]", "[[]]", "[{}]", "[true]"]),
        ];
        foreach (var (route, field, template, values) in slots)
        {
            foreach (var value in values)
            {
                AddPayload("wrong_type", route, $"{RouteName(route)}.{field}", value, Splice(template, Utf8(value)), VF);
            }
        }
    }

    private void MissingRequired()
    {
        (Route Route, string Where, string Payload)[] cases =
        [
            (Route.Data, "data.value", "{}"),
            (Route.Data, "data.value", """{"unit":"celsius"}"""),
            (Route.Data, "data.value", """{"value":null}"""),
            (Route.Data, "data.value", """{"VALUE":21.5}"""),
            (Route.Data, "data.value", """{"timestamp":1700000000,"quality":"good"}"""),
            (Route.Status, "status.status", "{}"),
            (Route.Status, "status.status", """{"status":null}"""),
            (Route.Status, "status.status", """{"Status":"ok"}"""),
            (Route.Status, "status.status", """{"state":"ok"}"""),
            (Route.Register, "register.name", "{}"),
            (Route.Register, "register.type", """{"name":"Corpus"}"""),
            (Route.Register, "register.name", """{"type":"sensor"}"""),
            (Route.Register, "register.name", """{"name":null,"type":"sensor"}"""),
            (Route.Register, "register.type", """{"name":"Corpus","type":null}"""),
            (Route.Register, "register.name", """{"NAME":"Corpus","TYPE":"sensor"}"""),
        ];
        foreach (var (route, where, payload) in cases)
        {
            AddPayload("missing_required", route, where, payload, Utf8(payload), VF);
        }
    }

    /// <summary>The number fields of the routes: <c>§</c> stands for the number.</summary>
    private static readonly (Route Route, string Where, string Template)[] NumberSlots =
    [
        (Route.Data, "data.value", """{"value":§}"""),
        (Route.Data, "data.timestamp", """{"value":21.5,"timestamp":§}"""),
        (Route.Heartbeat, "heartbeat.battery_level", """{"battery_level":§}"""),
        (Route.Heartbeat, "heartbeat.signal_strength", """{"signal_strength":§}"""),
        (Route.Heartbeat, "heartbeat.memory_usage", """{"memory_usage":§}"""),
        (Route.Heartbeat, "heartbeat.cpu_usage", """{"cpu_usage":§}"""),
    ];

    /// <summary>Valid JSON numbers that are not finite doubles: <c>validation_failed</c>.</summary>
    private void HugeNumbers()
    {
        var digits = "1" + new string('0', 399);
        string[] numbers =
        [
            "1e400", "-1e400", "1E+400", "1e309", "-1e309", "1.7976931348623159e308", digits, "-" + digits, digits + ".5",
        ];
        foreach (var (route, where, template) in NumberSlots)
        {
            foreach (var number in numbers)
            {
                var variant = number.Length > 30 ? $"{number.Length - (number.StartsWith('-') ? 1 : 0)}-character number {number[..3]}..." : number;
                AddPayload("huge_number", route, where, variant, Splice(template, Utf8(number)), VF);
            }
        }
    }

    /// <summary>What is not a JSON number at all: <c>invalid_json</c>.</summary>
    private void BadNumberSyntax()
    {
        string[] numbers = ["NaN", "Infinity", "-Infinity", "1e308*10", "+1", "0x10", "1e", ".5", "01"];
        foreach (var (route, where, template) in NumberSlots.Where(s => s.Where is "data.value" or "data.timestamp" or "heartbeat.battery_level" or "heartbeat.cpu_usage"))
        {
            foreach (var number in numbers)
            {
                AddPayload("bad_number_syntax", route, where, number, Splice(template, Utf8(number)), IJ);
            }
        }
    }

    /// <summary>Timestamps outside 2000-01-01 .. receive time + 1 day (Validation:MaxClockSkewSeconds, default 86400).</summary>
    private void Timestamps()
    {
        const double Y2K = 946_684_800;
        (string Name, double Value)[] timestamps =
        [
            ("1999-12-31T23:59:59", Y2K - 1),
            ("one millisecond before 2000", Y2K - 0.001),
            ("zero", 0),
            ("-1", -1),
            ("-1e9", -1e9),
            ("receive time + 1 day + 1 hour", Math.Floor(_now) + 86_400 + 3_600),
            ("receive time + 2 days", Math.Floor(_now) + 2 * 86_400),
            ("receive time + 1 year", Math.Floor(_now) + 365 * 86_400),
            ("2100-01-01", 4_102_444_800),
            ("9999-12-31T23:59:59", 253_402_300_799),
            ("10000-01-01", 253_402_300_800),
            ("milliseconds instead of seconds", Math.Floor(_now) * 1000),
            ("1e15", 1e15),
            ("-253402300799", -253_402_300_799),
        ];
        foreach (var (name, value) in timestamps)
        {
            AddPayload("timestamp", Route.Data, "data.timestamp", name, Utf8($$"""{"value":21.5,"timestamp":{{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}}"""), VF);
        }
    }

    /// <summary>
    /// Control characters (category Cc: U+0000-U+001F, U+007F-U+009F) in every kind of string. Escaped,
    /// or raw where JSON allows it (U+007F and above), they are valid JSON: <c>validation_failed</c>. Raw
    /// U+0000-U+001F inside a string is not JSON (RFC 8259 §7): <c>invalid_json</c>.
    /// </summary>
    private static readonly (string Name, byte[] Bytes, string Code)[] ControlVariants =
    [
        ("escaped U+0000", Escaped("\\u0000"), VF),
        ("escaped U+0001", Escaped("\\u0001"), VF),
        ("escaped U+001F", Escaped("\\u001f"), VF),
        ("escaped LF", Escaped("\\n"), VF),
        ("escaped TAB", Escaped("\\t"), VF),
        ("escaped U+007F", Escaped("\\u007F"), VF),
        ("escaped U+0085", Escaped("\\u0085"), VF),
        ("escaped U+009F", Escaped("\\u009f"), VF),
        ("raw U+0000", [0x00, (byte)'z'], IJ),
        ("raw U+001B", [0x1B, (byte)'z'], IJ),
        ("raw U+007F", [0x7F, (byte)'z'], VF),
        ("raw U+0080", [0xC2, 0x80, (byte)'z'], VF),
        ("raw U+009F", [0xC2, 0x9F, (byte)'z'], VF),
    ];

    private void ControlCharacters() => StringDamage("control_char", ControlVariants);

    /// <summary>Escaped lone surrogates: valid JSON syntax, not valid Unicode: <c>validation_failed</c>.</summary>
    private static readonly (string Name, byte[] Bytes, string Code)[] SurrogateVariants =
    [
        ("escaped U+D800", Escaped("\\ud800"), VF),
        ("escaped U+DFFF", Escaped("\\uDFFF"), VF),
        ("reversed pair U+DC00 U+D800", Escaped("\\udc00\\ud800"), VF),
        ("high surrogate then a letter", Escaped("\\ud800x"), VF),
        ("two high surrogates", Escaped("\\ud83d\\ud83d"), VF),
        ("high surrogate at the end", Utf8("\\ud83d"), VF),
    ];

    private void LoneSurrogates() => StringDamage("lone_surrogate", SurrogateVariants);

    private void StringDamage(string kind, (string Name, byte[] Bytes, string Code)[] variants)
    {
        foreach (var (route, where, template) in StringSlots.Concat(NameSlots))
        {
            for (var i = 0; i < variants.Length; i++)
            {
                if (route != Route.Unregister || i % 4 == 0)
                {
                    var (name, bytes, code) = variants[i];
                    AddPayload(kind, route, where, name, Splice(template, BadString(bytes)), code);
                }
            }
        }
    }

    private void TooLarge()
    {
        (Route Route, int Over)[] sizes =
        [
            (Route.Data, 1), (Route.Data, 100), (Route.Data, 400), (Route.Status, 1), (Route.Status, 300),
            (Route.Heartbeat, 1), (Route.Heartbeat, 200), (Route.Register, 1), (Route.Register, 250), (Route.Unregister, 1),
        ];
        foreach (var (route, over) in sizes)
        {
            // A valid payload but for its size, padded with one more field.
            var head = Utf8(ValidPayload(route)[..^1] + ",\"pad\":\"" + Marker);
            var size = _maxPayloadBytes + over;
            var payload = new byte[size];
            head.CopyTo(payload, 0);
            payload.AsSpan(head.Length, size - head.Length - 2).Fill((byte)'x');
            "\"}"u8.CopyTo(payload.AsSpan(size - 2));
            AddPayload("payload_too_large", route, $"{RouteName(route)}.payload", $"{size} bytes", payload, ErrorCodes.PayloadTooLarge);
        }

        // Far over the limit, and perhaps over the broker's maximum packet size (the limit plus headroom,
        // advertised in CONNACK): then the broker ends the connection instead (MQTT 5 §3.2.2.3.6).
        foreach (var size in new[] { 64 * 1024, 1024 * 1024 })
        {
            var payload = new byte[size];
            payload.AsSpan().Fill((byte)' ');
            Utf8("""{"value":21.5,"pad":"ZQXJ""").CopyTo(payload, 0);
            "\"}"u8.CopyTo(payload.AsSpan(size - 2));
            Add("payload_too_large", "data.payload", $"{size} bytes, raw", CorpusSender.RawDevice, null,
                Utf8($"iot/devices/data/{RawDeviceId}/temperature"), payload, [ErrorCodes.PayloadTooLarge], mayClose: true);
        }
    }

    // ---- topics -----------------------------------------------------------------------------------------

    /// <summary>
    /// Device ids that break the pattern, and route words. The router may see the topic as a route with a
    /// bad parameter (<c>validation_failed</c>) or as no route (<c>unknown_route</c>); the contract allows both.
    /// Sent by an operator (by the anonymous session for registrations), whose right to publish leaves only
    /// the id to judge.
    /// </summary>
    private void BadIdentifiers()
    {
        string[] badDeviceIds =
        [
            Marker + new string('a', 125), Marker + new string('b', 296), Marker + "$1", "-" + Marker, "_" + Marker,
            "." + Marker, ":" + Marker, Marker + " 1", Marker + "é", Marker + "*", Marker + "\"q", Marker + "'q",
            Marker + "@x", Marker + "%20", Marker + ",x", Marker + ";x", Marker + "\\x", "",
        ];
        foreach (var id in badDeviceIds)
        {
            var variant = id.Length > 40 ? $"{id.Length} characters" : id.Length == 0 ? "empty" : id;
            AddForDevice("bad_identifier", "device_id", variant, id);
        }

        foreach (var word in RouteWords)
        {
            AddForDevice("bad_identifier", "device_id", $"route word '{word}'", word);
        }

        string[] badSensorTypes =
        [
            Marker + new string('a', 61), Marker + new string('b', 96), Marker + "$", "-" + Marker, "_" + Marker,
            Marker + ":x", Marker + " x", Marker + "é", Marker + "*", Marker + "@", "",
        ];
        foreach (var sensorType in badSensorTypes)
        {
            var device = NextShared();
            var variant = sensorType.Length > 40 ? $"{sensorType.Length} characters" : sensorType.Length == 0 ? "empty" : sensorType;
            Add("bad_identifier", "data.sensor_type", variant, CorpusSender.Device, device,
                Utf8($"iot/devices/data/{device}/{sensorType}"), Utf8("""{"value":21.5}"""), [VF, UR]);
        }
    }

    private void AddForDevice(string kind, string field, string variant, string id)
    {
        foreach (var route in Enum.GetValues<Route>())
        {
            var topic = route == Route.Data ? $"iot/devices/data/{id}/temperature" : $"iot/devices/{RouteName(route)}/{id}";
            var payload = route switch
            {
                Route.Register => """{"name":"Corpus","type":"sensor"}""",
                Route.Data => """{"value":21.5}""",
                Route.Status => """{"status":"ok"}""",
                _ => "{}",
            };
            if (route == Route.Register && id.Length > 0)
            {
                _registrationIds.Add(id);
            }

            Add(kind, $"{RouteName(route)}.{field}", variant, route == Route.Register ? CorpusSender.Anonymous : CorpusSender.Operator, null,
                Utf8(topic), Utf8(payload), [VF, UR]);
        }
    }

    /// <summary>Topics with no route. From a device, each names the device itself, so that only the shape is wrong.</summary>
    private void UnknownRoutes()
    {
        string[] deviceTopics =
        [
            "iot/devices/ZQXJtelemetry/{d}", "iot/devices/ZQXJ/{d}/temperature", "iot/devices/Data/{d}/temperature",
            "iot/devices/HEARTBEAT/{d}", "iot/devices/data/{d}", "iot/devices/data/{d}/temperature/ZQXJ",
            "iot/devices/heartbeat/{d}/ZQXJ", "iot/devices/status/{d}/ZQXJ/x", "iot/devices/unregister/{d}/ZQXJ",
            "iot/devices/data/{d}/temperature/", "iot/devices/heartbeat/{d}/", "iot/devices//heartbeat/{d}",
            "iot/devices/data//{d}/temperature", "/iot/devices/heartbeat/{d}", "iot/devices/register/{d}/ZQXJ",
        ];
        foreach (var template in deviceTopics)
        {
            var device = NextShared();
            Add("unknown_route", "device_topic", template, CorpusSender.Device, device,
                Utf8(template.Replace("{d}", device, StringComparison.Ordinal)), Utf8("""{"value":21.5,"status":"ok"}"""), [UR]);
        }

        string[] operatorTopics =
        [
            "iot/devices", "iot/devices/", "iot/devices//", "iot/devices/ZQXJ", "iot/devices/ZQXJ/a/b/c/d/e/f",
            "iot/devices/data/a/b/c/d/e/f/g/h/i/ZQXJ", "iot/devicesZQXJ", "iot/ZQXJ/devices/data/x/y",
            "iot/devices/ZQXJ" + string.Concat(Enumerable.Repeat("/x", 100)),
        ];
        foreach (var topic in operatorTopics)
        {
            Add("unknown_route", "operator_topic", topic.Length > 60 ? $"{topic[..30]}... ({topic.Count(c => c == '/') + 1} levels)" : topic,
                CorpusSender.Operator, null, Utf8(topic), Utf8("""{"value":21.5}"""), [UR]);
        }
    }

    /// <summary>
    /// Wildcards in a PUBLISH topic, which MQTTnet's client will not send. The topic is invalid
    /// [MQTT-3.3.2-2]: the broker may acknowledge it with 0x90 (<c>unknown_route</c>) or end the sender's
    /// own connection as for any protocol error; both are accepted.
    /// </summary>
    private void WildcardTopics()
    {
        string[] deviceTopics =
        [
            "iot/devices/data/{d}/+", "iot/devices/data/{d}/#", "iot/devices/data/{d}/ZQXJ+", "iot/devices/data/{d}/te#mp",
            "iot/devices/+/{d}", "iot/devices/heartbeat/{d}/#", "iot/devices/#", "iot/devices/status/+",
        ];
        foreach (var template in deviceTopics)
        {
            Add("wildcard_topic", "device_topic", template, CorpusSender.RawDevice, null,
                Utf8(template.Replace("{d}", RawDeviceId, StringComparison.Ordinal)), Utf8("""{"value":21.5,"status":"ok"}"""), [UR], mayClose: true);
        }

        string[] operatorTopics =
        [
            "iot/devices/heartbeat/+", "iot/devices/register/#", "iot/devices/+/+/+", "iot/+/data/x/y", "#", "+",
            "iot/devices/unregister/ZQXJ#",
        ];
        foreach (var topic in operatorTopics)
        {
            Add("wildcard_topic", "operator_topic", topic, CorpusSender.RawOperator, null, Utf8(topic), Utf8("""{"name":"Corpus","type":"sensor"}"""), [UR], mayClose: true);
        }
    }

    /// <summary>
    /// Topics that are not well-formed UTF-8 or hold U+0000 [MQTT-1.5.4-1, -2] (a malformed packet: the
    /// broker may end the connection), or hold other control characters (which a receiver may treat as
    /// malformed, MQTT 5 §1.5.4). Acknowledged instead, the refusal is unknown_route or validation_failed.
    /// </summary>
    private void TopicEncoding()
    {
        (string Name, byte[] Bytes)[] sequences =
        [
            .. InvalidUtf8Sequences.Select(s => (s.Name, s.Bytes[..^(s.Bytes[^1] == 'z' ? 1 : 0)])),
            ("U+0000", [0x00]), ("U+0001", [0x01]), ("U+001F", [0x1F]), ("U+007F", [0x7F]), ("U+0085", [0xC2, 0x85]),
        ];
        foreach (var (name, bytes) in sequences)
        {
            Add("topic_encoding", "data.sensor_type", name, CorpusSender.RawDevice, null,
                [.. Utf8($"iot/devices/data/{RawDeviceId}/{Marker}"), .. bytes], Utf8("""{"value":21.5}"""), [UR, VF], mayClose: true);
        }

        foreach (var (name, bytes) in sequences.Where((_, i) => i % 3 == 0))
        {
            Add("topic_encoding", "heartbeat.device_id", name, CorpusSender.RawOperator, null,
                [.. Utf8($"iot/devices/heartbeat/{Marker}"), .. bytes], Utf8("{}"), [UR, VF], mayClose: true);
        }
    }

    // ---- authentication ---------------------------------------------------------------------------------

    /// <summary>
    /// Messages for a registered device from an anonymous session. With no token at all, the contract's
    /// <c>unauthorized</c> (no credentials) and <c>forbidden</c> (a provisioning session may publish only
    /// registrations) both fit, and both are 0x87; a wrong token is <c>unauthorized</c>.
    /// </summary>
    private void Unauthenticated()
    {
        string[] noToken = [ErrorCodes.Unauthorized, ErrorCodes.Forbidden];
        string[] wrongToken = [ErrorCodes.Unauthorized];
        var d = NextShared();
        AddAnonymous("heartbeat", "no token", $"iot/devices/heartbeat/{d}", """{"battery_level":50}""", noToken);
        AddAnonymous("data", "no token", $"iot/devices/data/{d}/temperature", """{"value":21.5}""", noToken);
        AddAnonymous("status", "no token", $"iot/devices/status/{d}", """{"status":"hijacked"}""", noToken);
        AddAnonymous("data", "empty auth_token", $"iot/devices/data/{d}/temperature", """{"value":21.5,"auth_token":""}""", noToken);
        AddAnonymous("data", "wrong auth_token", $"iot/devices/data/{d}/temperature", """{"value":21.5,"auth_token":"ZQXJ-not-the-token"}""", wrongToken);
        AddAnonymous("heartbeat", "wrong auth_token", $"iot/devices/heartbeat/{d}", """{"auth_token":"ZQXJwrong"}""", wrongToken);
        AddAnonymous("status", "wrong auth_token user property", $"iot/devices/status/{d}", """{"status":"hijacked"}""", wrongToken, tokenProperty: "ZQXJbad");
        AddAnonymous("unregister", "no token", $"iot/devices/unregister/{NewIsolated()}", "{}", noToken);
        AddAnonymous("unregister", "wrong auth_token", $"iot/devices/unregister/{NewIsolated()}", """{"auth_token":"ZQXJguess"}""", wrongToken);
    }

    private void AddAnonymous(string route, string variant, string topic, string payload, string[] codes, string? tokenProperty = null) =>
        Add("unauthenticated", route, variant, CorpusSender.Anonymous, null, Utf8(topic), Utf8(payload), codes, tokenProperty: tokenProperty);

    // ---- plumbing ---------------------------------------------------------------------------------------

    /// <summary>
    /// A payload case on its route's usual sender: registrations from the anonymous session under a fresh
    /// id; unregistrations from a device of their own (one wrongly accepted would end that device);
    /// everything else from a shared device's own session.
    /// </summary>
    private void AddPayload(string kind, Route route, string where, string variant, byte[] payload, params string[] codes)
    {
        switch (route)
        {
            case Route.Register:
                var id = $"c{_tag}-r{_registrationIds.Count}";
                _registrationIds.Add(id);
                Add(kind, where, variant, CorpusSender.Anonymous, null, Utf8($"iot/devices/register/{id}"), payload, codes);
                break;
            case Route.Unregister:
                var isolated = NewIsolated();
                Add(kind, where, variant, CorpusSender.Device, isolated, Utf8($"iot/devices/unregister/{isolated}"), payload, codes);
                break;
            default:
                var device = NextShared();
                var topic = route == Route.Data
                    ? $"iot/devices/data/{device}/{SensorTypes[_nextSensor++ % SensorTypes.Length]}"
                    : $"iot/devices/{RouteName(route)}/{device}";
                Add(kind, where, variant, CorpusSender.Device, device, Utf8(topic), payload, codes);
                break;
        }
    }

    private void Add(
        string kind, string where, string variant, CorpusSender sender, string? deviceId, byte[] topic, byte[] payload, string[] codes,
        bool mayClose = false, string? tokenProperty = null)
    {
        if (Encoding.UTF8.GetString(topic).Split('/') is ["iot", "devices", "data", var device, var sensorType])
        {
            Track(device, sensorType);
        }

        _cases.Add(new CorpusCase(_cases.Count + 1, kind, where, variant, sender, deviceId, topic, payload, codes, mayClose, tokenProperty));
    }

    private string NextShared() => _shared[_nextShared++ % _shared.Count];

    private string NewIsolated()
    {
        var id = $"c{_tag}-u{_isolated.Count}";
        _isolated.Add(id);
        return id;
    }

    private void Track(string deviceId, string sensorType)
    {
        if (!_sensorTypes.TryGetValue(deviceId, out var types))
        {
            _sensorTypes[deviceId] = types = new SortedSet<string>(StringComparer.Ordinal);
        }

        types.Add(sensorType);
    }

    private static string RouteName(Route route) => route.ToString().ToLowerInvariant();

    /// <summary>A JSON string literal: the marker, then <paramref name="bad"/> (bytes as they go on the wire).</summary>
    private static byte[] BadString(byte[] bad) => [(byte)'"', .. Utf8(Marker), .. bad, (byte)'"'];

    /// <summary>An escape sequence as JSON text, followed by a letter.</summary>
    private static byte[] Escaped(string escape) => Utf8(escape + "z");

    /// <summary><paramref name="template"/> as UTF-8, with <paramref name="hole"/> in place of its <c>§</c>.</summary>
    private static byte[] Splice(string template, byte[] hole)
    {
        var at = template.IndexOf('§', StringComparison.Ordinal);
        return [.. Utf8(template[..at]), .. hole, .. Utf8(template[(at + 1)..])];
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
