using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;

namespace Orleans.IoT.Tests.Api;

/// <summary>One Server-Sent Event as a browser's EventSource parses it, or a comment line.</summary>
public sealed record ServerSentEvent(string? Id, string? Event, string? Data, string? Retry, string? Comment)
{
    public JsonElement Json => JsonDocument.Parse(Data!).RootElement.Clone();
}

/// <summary>
/// An open <c>GET /api/v1/events</c> read by plain HttpClient: a background reader parses the stream into events as
/// they arrive, so that a test can wait for one, or see that one did not come.
/// </summary>
public sealed class EventStreamClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ServerSentEvent> _events = Channel.CreateUnbounded<ServerSentEvent>();
    private readonly Task _reading;
    private readonly List<ServerSentEvent> _seen = [];

    private EventStreamClient(HttpClient http, HttpResponseMessage response, Stream body)
    {
        _http = http;
        _response = response;
        _reading = ReadAsync(body);
    }

    /// <summary>
    /// Opens the stream at <paramref name="path"/> with the operator's key, or with a console session's cookie
    /// (<paramref name="sessionCookie"/>, <c>name=value</c>), and asserts it is one.
    /// </summary>
    public static async Task<EventStreamClient> OpenAsync(int httpPort, string operatorKey, string path = "/api/v1/events", string? sessionCookie = null)
    {
        var http = new HttpClient(new HttpClientHandler { UseCookies = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (sessionCookie is null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
        }
        else
        {
            http.DefaultRequestHeaders.Add("Cookie", sessionCookie);
        }

        var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            http.Dispose();
            Assert.Fail($"{path}: {(int)response.StatusCode} {body}");
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStreamClient(http, response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event (or comment) that matches, skipping the others; fails after <paramref name="timeout"/>.</summary>
    public async Task<ServerSentEvent> WaitForAsync(Func<ServerSentEvent, bool> match, string what, TimeSpan? timeout = null)
    {
        using var wait = new CancellationTokenSource(timeout ?? DefaultWait);
        try
        {
            while (true)
            {
                var next = await _events.Reader.ReadAsync(wait.Token);
                _seen.Add(next);
                if (match(next))
                {
                    return next;
                }
            }
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            throw new TimeoutException($"not within {timeout ?? DefaultWait}: {what}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the stream ended before: {what}");
        }
    }

    /// <summary>An event of <paramref name="kind"/> whose JSON names <paramref name="deviceId"/>.</summary>
    public Task<ServerSentEvent> WaitForAsync(string kind, string deviceId, Func<JsonElement, bool>? match = null) =>
        WaitForAsync(
            e => e.Event == kind && e.Json.GetProperty("device_id").GetString() == deviceId && (match is null || match(e.Json)),
            $"a {kind} event of {deviceId}");

    /// <summary>Everything received so far, including what <see cref="WaitForAsync(Func{ServerSentEvent, bool}, string, TimeSpan?)"/> skipped.</summary>
    public IReadOnlyList<ServerSentEvent> Received()
    {
        while (_events.Reader.TryRead(out var next))
        {
            _seen.Add(next);
        }

        return _seen;
    }

    /// <summary>Whether the server ended the stream (within <paramref name="timeout"/>).</summary>
    public async Task<bool> EndedAsync(TimeSpan timeout)
    {
        await Task.WhenAny(_reading, Task.Delay(timeout));
        return _reading.IsCompleted;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading;
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync(Stream body)
    {
        try
        {
            using var reader = new StreamReader(body);
            string? id = null, kind = null, data = null, retry = null;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (id is not null || kind is not null || data is not null || retry is not null)
                    {
                        _events.Writer.TryWrite(new ServerSentEvent(id, kind, data, retry, null));
                    }

                    (id, kind, data, retry) = (null, null, null, null);
                }
                else if (line.StartsWith(':'))
                {
                    _events.Writer.TryWrite(new ServerSentEvent(null, null, null, null, line[1..].Trim()));
                }
                else
                {
                    var colon = line.IndexOf(':');
                    var field = colon < 0 ? line : line[..colon];
                    var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                    switch (field)
                    {
                        case "id": id = value; break;
                        case "event": kind = value; break;
                        case "data": data = data is null ? value : data + "\n" + value; break;
                        case "retry": retry = value; break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
            // The test closed the stream, or the server cut it.
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }
}
