using Microsoft.Extensions.Logging;
using MQTTnet.Diagnostics.Logger;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Forwards MQTTnet's own log to <see cref="ILogger"/> (category <c>MQTTnet</c>). MQTTnet has one switch for all
/// its levels and formats a message for every packet while it is on, so it is on only when that category is
/// enabled at Debug: <c>Logging:LogLevel:MQTTnet=Debug</c>.
/// </summary>
public sealed class MqttNetLogBridge(ILoggerFactory loggerFactory) : IMqttNetLogger
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("MQTTnet");

    public bool IsEnabled => _logger.IsEnabled(LogLevel.Debug);

    public void Publish(MqttNetLogLevel level, string source, string message, object[] parameters, Exception exception)
    {
        var mapped = level switch
        {
            MqttNetLogLevel.Verbose => LogLevel.Trace,
            MqttNetLogLevel.Info => LogLevel.Debug,
            MqttNetLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        if (!_logger.IsEnabled(mapped))
        {
            return;
        }

#pragma warning disable CA2254 // MQTTnet supplies the template.
        _logger.Log(mapped, exception, $"{source}: {message}", parameters ?? []);
#pragma warning restore CA2254
    }
}
