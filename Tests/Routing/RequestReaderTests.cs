using System.Text.Json;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Tests.Routing;

public sealed class RequestReaderTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void Reads_the_seed_registration()
    {
        var ok = RequestReader.TryReadRegistration(Json("""
            {"name":"Temperature Sensor 001","type":"temperature_sensor","firmware_version":"1.2.3","hardware_version":"2.1",
             "location":"Building A, Room 101","capabilities":["temperature","humidity","battery_monitoring"],"extra":{"kept":"or ignored"}}
            """), out var request, out var error);

        Assert.True(ok, error);
        Assert.Equal("Temperature Sensor 001", request!.Name);
        Assert.Equal("temperature_sensor", request.Type);
        Assert.Equal("1.2.3", request.FirmwareVersion);
        Assert.Equal(["temperature", "humidity", "battery_monitoring"], request.Capabilities);
    }

    [Theory]
    [InlineData("""{"type":"t"}""", "'name' is required")]
    [InlineData("""{"name":"  ","type":"t"}""", "'name' is required")]
    [InlineData("""{"name":"n"}""", "'type' is required")]
    [InlineData("""{"name":5,"type":"t"}""", "'name' must be a string")]
    [InlineData("""{"name":"n","type":"t","capabilities":"temperature"}""", "'capabilities' must be an array")]
    [InlineData("""{"name":"n","type":"t","capabilities":[1]}""", "'capabilities' must hold")]
    [InlineData("""{"name":"n","type":"t","location":{"x":1}}""", "'location' must be a string")]
    public void Refuses_registrations_naming_the_field(string json, string expected)
    {
        Assert.False(RequestReader.TryReadRegistration(Json(json), out _, out var error));
        Assert.StartsWith(expected, error);
    }

    private const double Now = 1_700_000_000;
    private const double Skew = 86_400;

    [Theory]
    [InlineData(946684800)]
    [InlineData(1_700_086_400)]
    public void A_timestamp_may_lie_anywhere_from_2000_to_the_allowed_skew_ahead(double timestamp) =>
        Assert.True(RequestReader.TryReadReading(Json($$"""{"value":1,"timestamp":{{timestamp}}}"""), "d1", "t", Now, Skew, out _, out _));

    [Fact]
    public void Reads_a_reading_with_defaults()
    {
        Assert.True(RequestReader.TryReadReading(Json("""{"value":23.5}"""), "d1", "temperature", Now, Skew, out var reading, out _));

        Assert.Equal(new SensorReading("d1", "temperature", 23.5, null, Now, "good"), reading);
    }

    [Fact]
    public void Reads_every_field_of_a_reading()
    {
        Assert.True(RequestReader.TryReadReading(
            Json("""{"value":-4,"unit":"celsius","quality":"poor","timestamp":1694678400.25,"auth_token":"x"}"""), "d1", "t", Now, Skew, out var reading, out _));

        Assert.Equal(new SensorReading("d1", "t", -4, "celsius", 1694678400.25, "poor"), reading);
    }

    [Theory]
    [InlineData("""{}""", "'value' is required")]
    [InlineData("""{"value":null}""", "'value' is required")]
    [InlineData("""{"value":"23.5"}""", "'value' must be a finite number")]
    [InlineData("""{"value":true}""", "'value' must be a finite number")]
    [InlineData("""{"value":1e999}""", "'value' must be a finite number")]
    [InlineData("""{"value":1,"timestamp":"now"}""", "'timestamp' must be a finite number")]
    [InlineData("""{"value":1,"timestamp":-1}""", "'timestamp' must be Unix seconds")]
    [InlineData("""{"value":1,"timestamp":946684799.9}""", "'timestamp' must be Unix seconds")]
    [InlineData("""{"value":1,"timestamp":1700086400.5}""", "'timestamp' must be Unix seconds")]
    [InlineData("""{"value":1,"timestamp":253402300799}""", "'timestamp' must be Unix seconds")]
    [InlineData("""{"value":1,"unit":7}""", "'unit' must be a string")]
    public void Refuses_bad_readings_naming_the_field(string json, string expected)
    {
        Assert.False(RequestReader.TryReadReading(Json(json), "d1", "t", Now, Skew, out _, out var error));
        Assert.StartsWith(expected, error);
    }

    [Fact]
    public void Heartbeat_metrics_are_optional_numbers()
    {
        Assert.True(RequestReader.TryReadMetrics(Json("""{"battery_level":85,"cpu_usage":null}"""), out var metrics, out _));
        Assert.Equal(new DeviceMetrics(85, null, null, null), metrics);

        Assert.False(RequestReader.TryReadMetrics(Json("""{"signal_strength":"strong"}"""), out _, out var error));
        Assert.StartsWith("'signal_strength' must be a finite number", error);
    }

    [Fact]
    public void Status_keeps_extra_fields_but_not_credentials()
    {
        Assert.True(RequestReader.TryReadStatus(Json("""{"status":"maintenance","auth_token":"secret","reason":"filter change","eta":30}"""), out var report, out _));

        Assert.Equal("maintenance", report!.Status);
        Assert.Equal("""{"reason":"filter change","eta":30}""", report.ExtraJson);
    }

    [Fact]
    public void Status_needs_a_status_string()
    {
        Assert.False(RequestReader.TryReadStatus(Json("""{"state":"ok"}"""), out _, out var error));
        Assert.StartsWith("'status' is required", error);
    }
}
