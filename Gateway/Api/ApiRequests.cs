using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// Reading what a request carries with the contract's errors: query values are taken as text and checked here, so
/// that a bad one is <c>validation_failed</c> naming its parameter rather than a bare 400 from binding.
/// </summary>
public static class ApiRequests
{
    /// <summary>
    /// Reads the body as one JSON object of at most <paramref name="maxBytes"/> (the same limit as an MQTT payload), for
    /// the same <see cref="Messaging.RequestReader"/> checks as the MQTT route; the caller disposes the document.
    /// </summary>
    public static async Task<(JsonDocument? Json, ApiProblem? Problem)> ReadJsonObjectAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return (null, ApiProblems.Problem(ErrorCodes.PayloadTooLarge, $"the body is larger than {maxBytes} bytes"));
        }

        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            if (read.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return (null, ApiProblems.Problem(ErrorCodes.PayloadTooLarge, $"the body is larger than {maxBytes} bytes"));
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                try
                {
                    var json = JsonDocument.Parse(read.Buffer, new JsonDocumentOptions { MaxDepth = 32 });
                    if (json.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        json.Dispose();
                        return (null, ApiProblems.Problem(ErrorCodes.InvalidJson, "the body must be a JSON object"));
                    }

                    return (json, null);
                }
                catch (JsonException)
                {
                    return (null, ApiProblems.Problem(ErrorCodes.InvalidJson, "the body is not valid JSON"));
                }
                finally
                {
                    reader.AdvanceTo(read.Buffer.End);
                }
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>A page size: <paramref name="fallback"/> when absent, otherwise an integer from 1 to <paramref name="max"/>.</summary>
    public static bool TryLimit(string? value, int fallback, int max, out int limit, out ApiProblem? problem)
    {
        problem = null;
        limit = fallback;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit >= 1 && limit <= max)
        {
            return true;
        }

        problem = ApiProblems.Problem(ErrorCodes.ValidationFailed, $"limit must be an integer from 1 to {max}");
        return false;
    }

    /// <summary>
    /// A time: absent is null; otherwise an RFC 3339 / ISO 8601 time with an offset, or Unix seconds (as devices send
    /// them), between 2000-01-01 and 9999; <paramref name="name"/> names the parameter in the error.
    /// </summary>
    public static bool TryTime(string? value, string name, out DateTimeOffset? time, out ApiProblem? problem)
    {
        problem = null;
        time = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            && seconds >= Messaging.RequestReader.MinTimestamp && seconds < 253_402_300_800)
        {
            time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            return true;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            && parsed.UtcDateTime.Year >= 2000)
        {
            time = parsed.ToUniversalTime();
            return true;
        }

        problem = ApiProblems.Problem(ErrorCodes.ValidationFailed, $"{name} must be an ISO 8601 time (2026-01-31T12:00:00Z) or Unix seconds, not before 2000");
        return false;
    }
}
