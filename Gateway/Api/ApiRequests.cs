using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.OpenApi;
using Orleans.IoT.Gateway.Routing;

using Orleans.IoT.Gateway.Middleware;

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
                // A copy: the document reads the bytes it was parsed from, and the pipe's buffer goes back to the pool.
                var body = System.Buffers.BuffersExtensions.ToArray(read.Buffer);
                reader.AdvanceTo(read.Buffer.End);
                return JsonObjectMiddleware.TryReadObject(body, out var json, out var errorCode, out var error)
                    ? (json, null)
                    : (null, ApiProblems.Problem(errorCode, error.Replace("payload", "the body", StringComparison.Ordinal)));
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>The operator the request is authenticated as, for grain calls made for them.</summary>
    public static Caller Operator(ClaimsPrincipal user) =>
        Caller.Operator(user.FindFirstValue(OperatorKeyAuthentication.OperatorClaim)
            ?? throw new InvalidOperationException("an operator endpoint ran without an authenticated operator"));

    /// <summary>A device id in the path (<c>{device_id}</c>), by DESIGN §2.</summary>
    public static bool TryDeviceId(string value, [NotNullWhen(false)] out ApiProblem? problem)
    {
        problem = Identifiers.IsDeviceId(value)
            ? null
            : ApiProblems.Problem(ErrorCodes.ValidationFailed, "device_id must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$ and not be a route word");
        return problem is null;
    }

    /// <summary>A command, config, update or alert id in the path, by DESIGN §2; <paramref name="name"/> names it in the error.</summary>
    public static bool TryIdentifier(string value, string name, [NotNullWhen(false)] out ApiProblem? problem)
    {
        problem = Identifiers.IsIdentifier(value)
            ? null
            : ApiProblems.Problem(ErrorCodes.ValidationFailed, $"{name} must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}$");
        return problem is null;
    }

    /// <summary>A <see cref="Messaging.RequestReader"/> method: the typed request of a payload, or an error naming the field.</summary>
    public delegate bool PayloadReader<T>(JsonElement json, [NotNullWhen(true)] out T? value, [NotNullWhen(false)] out string? error)
        where T : class;

    /// <summary>
    /// Reads the body as the MQTT route reads its payload: one JSON object of at most <paramref name="maxBytes"/>, then
    /// <paramref name="read"/>, so that HTTP and MQTT accept and refuse the same requests with the same messages.
    /// </summary>
    public static async Task<(T? Value, ApiProblem? Problem)> ReadBodyAsync<T>(
        HttpRequest request, int maxBytes, PayloadReader<T> read, CancellationToken cancellationToken)
        where T : class
    {
        var (json, problem) = await ReadJsonObjectAsync(request, maxBytes, cancellationToken);
        if (json is null)
        {
            return (null, problem);
        }

        using (json)
        {
            return read(json.RootElement, out var value, out var error)
                ? (value, null)
                : (null, ApiProblems.Problem(ErrorCodes.ValidationFailed, error));
        }
    }

    /// <summary>
    /// Describes the endpoint's body, read by <see cref="ReadBodyAsync"/>, as a JSON object in the OpenAPI document. Not
    /// with <c>Accepts</c>: that would make routing pass over the endpoint for another Content-Type, and the body is
    /// read as JSON whatever its Content-Type says, as an MQTT payload is.
    /// </summary>
    public static RouteHandlerBuilder WithJsonObjectBody(this RouteHandlerBuilder endpoint, string description) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
                },
            };
            return Task.CompletedTask;
        });

    /// <summary>
    /// A time range <c>from &lt;= t &lt; to</c> from the <c>from</c> and <c>to</c> parameters (see <see cref="TryTime"/>),
    /// each defaulting to the given bound; <c>from</c> must lie before <c>to</c>.
    /// </summary>
    public static bool TryRange(
        string? from, string? to, DateTimeOffset defaultFrom, DateTimeOffset defaultTo,
        out (DateTimeOffset From, DateTimeOffset To) range, out ApiProblem? problem)
    {
        range = default;
        if (!TryTime(from, "from", out var start, out problem) || !TryTime(to, "to", out var end, out problem))
        {
            return false;
        }

        range = (start ?? defaultFrom, end ?? defaultTo);
        if (range.From >= range.To)
        {
            problem = ApiProblems.Problem(ErrorCodes.ValidationFailed, "from must lie before to");
            return false;
        }

        return true;
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
