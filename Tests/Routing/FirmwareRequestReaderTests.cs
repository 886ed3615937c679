using System.Text.Json;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Tests.Routing;

/// <summary>The firmware payloads of DESIGN §2: an operator's update and a device's progress.</summary>
public sealed class FirmwareRequestReaderTests
{
    private const string Hex = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Theory]
    [InlineData("sha256:" + Hex)]
    [InlineData("SHA256:" + Hex)]
    [InlineData(Hex)]
    public void Reads_an_update_with_its_checksum_normalised(string checksum)
    {
        var ok = RequestReader.TryReadFirmwareUpdate(
            Json($$"""{"version":"2.0.1","url":"https://fw.example/a%20b.bin?x=1","checksum":"{{checksum}}","update_id":"fw-2.0.1"}"""), out var request, out var error);

        Assert.True(ok, error);
        Assert.Equal(new FirmwareRequest("fw-2.0.1", "2.0.1", "https://fw.example/a%20b.bin?x=1", "sha256:" + Hex.ToLowerInvariant()), request);
    }

    [Theory]
    [InlineData("""{"url":"http://fw/a.bin","checksum":"HEX"}""", "'version' is required")]
    [InlineData("""{"version":" ","url":"http://fw/a.bin","checksum":"HEX"}""", "'version' is required")]
    [InlineData("""{"version":2,"url":"http://fw/a.bin","checksum":"HEX"}""", "'version' must be a string")]
    [InlineData("""{"version":"2","checksum":"HEX"}""", "'url' is required")]
    [InlineData("""{"version":"2","url":"","checksum":"HEX"}""", "'url' is required")]
    [InlineData("""{"version":"2","url":"fw/a.bin","checksum":"HEX"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"2","url":"ftp://fw/a.bin","checksum":"HEX"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"2","url":"file:///etc/passwd","checksum":"HEX"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"2","url":"http://fw/a b.bin","checksum":"HEX"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"2","url":["http://fw/a.bin"],"checksum":"HEX"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"2","url":"http://fw/a.bin"}""", "'checksum' is required")]
    [InlineData("""{"version":"2","url":"http://fw/a.bin","checksum":"md5:d41d8cd98f00b204e9800998ecf8427e"}""", "'checksum' must be sha256:<64 hex digits> or 64 hex digits")]
    [InlineData("""{"version":"2","url":"http://fw/a.bin","checksum":"sha256:abc"}""", "'checksum' must be sha256:<64 hex digits> or 64 hex digits")]
    [InlineData("""{"version":"2","url":"http://fw/a.bin","checksum":"HEX","update_id":"has space"}""", "'update_id' must match")]
    public void Refuses_updates_naming_the_field(string json, string expected)
    {
        Assert.False(RequestReader.TryReadFirmwareUpdate(Json(json.Replace("HEX", Hex)), out _, out var error));
        Assert.StartsWith(expected, error);
    }

    [Fact]
    public void A_url_may_be_2048_characters_long_and_no_longer()
    {
        var prefix = "https://fw.example/";
        var longest = prefix + new string('a', RequestReader.MaxFirmwareUrlLength - prefix.Length);

        Assert.True(RequestReader.TryReadFirmwareUpdate(Json($$"""{"version":"2","url":"{{longest}}","checksum":"{{Hex}}"}"""), out _, out _));
        Assert.False(RequestReader.TryReadFirmwareUpdate(Json($$"""{"version":"2","url":"{{longest}}a","checksum":"{{Hex}}"}"""), out _, out _));
    }

    [Fact]
    public void Reads_a_progress_report()
    {
        Assert.True(RequestReader.TryReadFirmwareProgress(Json("""{"state":"downloading","progress":42.5,"auth_token":"t"}"""), out var progress, out var error), error);

        Assert.Equal(new FirmwareProgress("downloading", 42.5, null), progress);
    }

    [Theory]
    [InlineData("""{"progress":5}""", "'state' is required")]
    [InlineData("""{"state":"sent"}""", "'state' must be downloading, downloaded, verified, updating, updated or failed")]
    [InlineData("""{"state":"expired"}""", "'state' must be downloading")]
    [InlineData("""{"state":"downloading","progress":-1}""", "'progress' must be a number from 0 to 100")]
    [InlineData("""{"state":"downloading","progress":100.5}""", "'progress' must be a number from 0 to 100")]
    [InlineData("""{"state":"downloading","progress":"50"}""", "'progress' must be a finite number")]
    [InlineData("""{"state":"failed","error":{"code":1}}""", "'error' must be a string")]
    public void Refuses_progress_naming_the_field(string json, string expected)
    {
        Assert.False(RequestReader.TryReadFirmwareProgress(Json(json), out _, out var error));
        Assert.StartsWith(expected, error);
    }
}
