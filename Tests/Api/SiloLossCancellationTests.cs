using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.IoT.Gateway.Api;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// HTTP requests in flight when a standalone gateway loses a silo end at once with 503, as device messages do, instead
/// of waiting for the response timeout; later requests and open event streams go on.
/// </summary>
public sealed class SiloLossCancellationTests : IAsyncLifetime
{
    private readonly InboundCalls _calls = new();
    private readonly int _port = NodeFixture.FreePort();
    private WebApplication? _app;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{_port}");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_calls);
        _app = builder.Build();
        _app.UseSiloLossCancellation();
        // Stands for a grain call to a silo that died: it never answers, and ends only when cancelled.
        var neverAnswered = (CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
        _app.MapGet("/api/v1/devices/{id}", async (CancellationToken cancellationToken) =>
        {
            await neverAnswered(cancellationToken);
            return Results.Ok();
        });
        _app.MapGet(EventsApi.Path, async (HttpContext context) =>
        {
            await context.Response.WriteAsync("data: open\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await neverAnswered(context.RequestAborted);
        });
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _calls.Stop();
        await _app!.DisposeAsync();
    }

    [Fact]
    public async Task A_request_waiting_on_a_lost_silo_is_answered_503_and_the_next_one_is_not_cancelled()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(30) };
        using var stream = await http.GetAsync(EventsApi.Path, HttpCompletionOption.ResponseHeadersRead);
        var events = await stream.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        Assert.True(await events.ReadAsync(buffer) > 0);
        var waiting = http.GetAsync("/api/v1/devices/d1");
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        _calls.CancelInFlight();

        using var answered = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        var problem = await ApiClient.AssertProblemAsync(answered, HttpStatusCode.ServiceUnavailable, ApiProblems.Unavailable);
        Assert.Contains("lost a silo", problem.GetProperty("detail").GetString());
        Assert.Equal(TimeSpan.FromSeconds(1), answered.Headers.RetryAfter?.Delta);

        var next = http.GetAsync("/api/v1/devices/d2");
        await Task.Delay(300);
        Assert.False(next.IsCompleted, "a request after the loss got the cancelled token");

        var more = events.ReadAsync(buffer).AsTask();
        await Task.Delay(300);
        Assert.False(more.IsCompleted, "the event stream ended with the silo loss");
    }
}
