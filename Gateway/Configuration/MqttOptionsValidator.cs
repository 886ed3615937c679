using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary>
/// Checks at start-up what data annotations cannot: that at least one MQTT listener is on, and that the TLS settings
/// fit together and their files can be used (the server certificate with its key, valid now; the device certificate
/// authorities); with an external broker, that its settings fit together instead. Every problem names its setting.
/// </summary>
public sealed class MqttOptionsValidator(TimeProvider clock) : IValidateOptions<MqttOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        var problems = new List<string>();
        if (options.IsExternal)
        {
            CheckExternal(problems, options.External);
            return Result(problems);
        }

        var tls = options.Tls;
        if (options.Port == 0 && options.TlsPort == 0)
        {
            problems.Add("Mqtt:Port and Mqtt:TlsPort are both 0: at least one MQTT listener must be on");
        }

        if (options.TlsPort == 0)
        {
            if (!string.IsNullOrWhiteSpace(tls.CertificatePath))
            {
                problems.Add($"{TlsCertificateFiles.CertificatePathKey} is set but Mqtt:TlsPort is 0, which leaves TLS off: set Mqtt:TlsPort (8883 is MQTT's TLS port)");
            }

            if (tls.AsksForClientCertificate)
            {
                problems.Add("Mqtt:Tls:ClientCertificates asks for device certificates, which need Mqtt:TlsPort");
            }

            return Result(problems);
        }

        if (options.TlsPort == options.Port)
        {
            problems.Add("Mqtt:TlsPort must differ from Mqtt:Port");
        }

        var now = clock.GetUtcNow();
        Check(problems, () => TlsCertificateFiles.LoadServerCertificate(tls, now).Dispose());
        if (tls.AsksForClientCertificate)
        {
            Check(problems, () =>
            {
                foreach (var authority in TlsCertificateFiles.LoadClientAuthorities(tls, now))
                {
                    authority.Dispose();
                }
            });
        }
        else if (!string.IsNullOrWhiteSpace(tls.ClientCaPath))
        {
            problems.Add($"{TlsCertificateFiles.ClientCaPathKey} is set but Mqtt:Tls:ClientCertificates is None, which asks no device for a certificate: set it to Optional or Required");
        }

        return Result(problems);
    }

    private static void CheckExternal(List<string> problems, MqttExternalOptions external)
    {
        if (!string.IsNullOrEmpty(external.Password) && string.IsNullOrEmpty(external.Username))
        {
            problems.Add("Mqtt:External:Password is set without Mqtt:External:Username");
        }

        if (external.MaxReconnectDelaySeconds < external.ReconnectDelaySeconds)
        {
            problems.Add("Mqtt:External:MaxReconnectDelaySeconds must be at least Mqtt:External:ReconnectDelaySeconds");
        }
    }

    private static void Check(List<string> problems, Action load)
    {
        try
        {
            load();
        }
        catch (TlsSettingException ex)
        {
            problems.Add(ex.Message);
        }
    }

    private static ValidateOptionsResult Result(List<string> problems) =>
        problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
}
