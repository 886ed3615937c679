using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// An HTTP request's grain calls (the API's, and the console session's read by the cookie's authentication) end when a
/// standalone gateway loses its connection to a silo, as device messages do (<see cref="InboundCalls"/>): an Orleans
/// client never fails a call to a silo that died, so a request would otherwise wait for the response timeout (60 s),
/// and a console page with it. The request is answered 503 <c>unavailable</c>, to be sent again, which reaches a live
/// silo. Event streams (<c>/api/v1/events</c>) make no grain call and go on.
/// </summary>
public static class SiloLossCancellation
{
    /// <summary>Add before authentication, so that the session's read is covered too.</summary>
    public static IApplicationBuilder UseSiloLossCancellation(this IApplicationBuilder app)
    {
        var calls = app.ApplicationServices.GetRequiredService<InboundCalls>();
        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(EventsApi.Path))
            {
                await next(context);
                return;
            }

            var siloLost = calls.Token;
            var aborted = context.RequestAborted;
            using var either = CancellationTokenSource.CreateLinkedTokenSource(aborted, siloLost);
            context.RequestAborted = either.Token;
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (siloLost.IsCancellationRequested && !aborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                await ApiProblems.Write(
                    context, ApiProblems.Unavailable, "the gateway lost a silo while answering; send the request again", retryAfterSeconds: 1);
            }
            finally
            {
                context.RequestAborted = aborted;
            }
        });
    }
}
