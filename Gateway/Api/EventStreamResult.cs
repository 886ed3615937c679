using System.Diagnostics;
using System.Buffers;
using System.IO.Pipelines;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Live;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// Writes an open <see cref="LiveEventStream"/> as <c>text/event-stream</c> until the client goes, the gateway stops,
/// or the client falls behind: then a last <c>event: overflow</c> if it can still be written, and the response ends
/// (the browser reconnects after the <c>retry:</c> the stream began with). A comment every <c>Console:HeartbeatSeconds</c>
/// without an event keeps proxies from closing an idle stream.
/// </summary>
/// <remarks>A stream opened by a console session ends with the session (<paramref name="sessionHolds"/>, checked each heartbeat period).</remarks>
public sealed class EventStreamResult(
    LiveEventStream stream, LiveStreamOptions settings, Func<CancellationToken, Task<bool>>? sessionHolds = null) : IResult, IEndpointMetadataProvider
{
    public const string ContentType = "text/event-stream";

    // The overflow notice is a courtesy to a reader already too slow: it gets this long, then the connection is cut.
    private static readonly TimeSpan OverflowNoticeTimeout = TimeSpan.FromSeconds(2);

    private readonly TimeSpan _heartbeat = TimeSpan.FromSeconds(settings.HeartbeatSeconds);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using (stream)
        {
            var stopping = httpContext.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var response = httpContext.Response;
            response.ContentType = ContentType;
            response.Headers.CacheControl = "no-cache";
            // Buffering proxies (nginx) pass each event on at once.
            response.Headers["X-Accel-Buffering"] = "no";
            httpContext.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, stopping, stream.FellBehindToken);
            var body = response.BodyWriter;
            try
            {
                body.Write(SseFrames.Retry(settings.ReconnectMilliseconds));
                var open = !(await body.FlushAsync(ended.Token)).IsCompleted;
                var sessionCheckedAt = Stopwatch.GetTimestamp();
                while (open)
                {
                    open = await PumpAsync(body, ended.Token);
                    if (open && sessionHolds is not null && Stopwatch.GetElapsedTime(sessionCheckedAt) >= _heartbeat)
                    {
                        open = await sessionHolds(ended.Token);
                        sessionCheckedAt = Stopwatch.GetTimestamp();
                    }
                }
            }
            catch (OperationCanceledException) when (ended.IsCancellationRequested)
            {
                // The client went, the gateway stops, or the client fell behind.
            }

            if (stream.FellBehind && !httpContext.RequestAborted.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                await NoticeOverflowAsync(httpContext, body);
            }
        }
    }

    /// <summary>Writes what is queued, or a heartbeat after a quiet period; false when the stream is over.</summary>
    private async ValueTask<bool> PumpAsync(PipeWriter body, CancellationToken ended)
    {
        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(ended))
        {
            quiet.CancelAfter(_heartbeat);
            try
            {
                if (!await stream.Frames.WaitToReadAsync(quiet.Token))
                {
                    return false;
                }

                while (stream.Frames.TryRead(out var frame))
                {
                    body.Write(frame);
                }
            }
            catch (OperationCanceledException) when (!ended.IsCancellationRequested)
            {
                body.Write(SseFrames.Heartbeat);
            }
        }

        return !(await body.FlushAsync(ended)).IsCompleted;
    }

    private static async Task NoticeOverflowAsync(HttpContext httpContext, PipeWriter body)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted);
        timeout.CancelAfter(OverflowNoticeTimeout);
        try
        {
            body.Write(SseFrames.Overflow);
            await body.FlushAsync(timeout.Token);
        }
        catch (Exception)
        {
            // A courtesy only: whatever keeps it from the reader (still stalled, or the writer given up), cut the connection.
            httpContext.Abort();
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [ContentType]));
}
