using System.Net;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>The OpenAPI document and its reference page, open to anyone (they describe the API; they hold no data).</summary>
[Collection(NodeCollection.Name)]
public sealed class OpenApiDocumentTests(NodeFixture node)
{
    [Fact]
    public async Task The_document_describes_the_api_and_its_bearer_key()
    {
        using var api = new ApiClient(node.HttpPort, operatorKey: null);

        var document = await api.GetJsonAsync("/openapi/v1.json");

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/v1/fleet/health", out _));
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("OperatorKey");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task The_reference_page_is_served_with_its_scripts_from_the_node()
    {
        using var api = new ApiClient(node.HttpPort, operatorKey: null);

        using var page = await api.GetAsync("/scalar/v1");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("cdn.", html, StringComparison.OrdinalIgnoreCase);
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script[^>]+src=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(script), html);
        using var scriptResponse = await api.GetAsync(new Uri(new Uri($"http://127.0.0.1:{node.HttpPort}/scalar/v1"), script).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, scriptResponse.StatusCode);
    }
}
