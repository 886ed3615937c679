using System.Net;
using System.Text.Json;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>What the tests of operators' actions over HTTP share: waiting for what the API answers, and a device gone offline.</summary>
public static class OperatorActions
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>GETs <paramref name="path"/> until its JSON body meets <paramref name="condition"/>; returns that body.</summary>
    public static async Task<JsonElement> GetUntilAsync(this ApiClient api, string path, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var body = await api.GetJsonAsync(path);
            if (condition(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{what}; last answer: {body}");
            await Task.Delay(50);
        }
    }

    /// <summary>POSTs <paramref name="json"/>, asserts 201 Created with a Location, returns the body and the Location.</summary>
    public static async Task<(JsonElement Body, string Location)> CreateAsync(this ApiClient api, string path, string json)
    {
        using var response = await api.PostJsonAsync(path, json);
        var body = await ApiClient.OkJsonAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (body, response.Headers.Location!.OriginalString);
    }

    /// <summary>Connects as the device and leaves, so that it is offline (the node marks a device offline when it disconnects).</summary>
    public static async Task TakeOfflineAsync(NodeFixture node, string deviceId, string token)
    {
        await using (await node.ConnectAsync(deviceId, token))
        {
        }

        var deadline = DateTime.UtcNow + Patience;
        while ((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Presence != "offline")
        {
            Assert.True(DateTime.UtcNow < deadline, "the device went offline when it disconnected");
            await Task.Delay(50);
        }
    }

    /// <summary>The items of <paramref name="list"/>'s array <paramref name="name"/>.</summary>
    public static List<JsonElement> Items(this JsonElement list, string name) => [.. list.GetProperty(name).EnumerateArray()];

    public static string Text(this JsonElement json, string name) => json.GetProperty(name).GetString()!;
}
