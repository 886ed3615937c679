using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary>Reads a host's settings before it is built, collecting every bad one so that it stops naming them all.</summary>
public static class StartupConfiguration
{
    /// <summary>Builds and runs a host; a bad setting ends it with exit code 2 and a message naming the setting.</summary>
    public static async Task<int> RunAsync(Func<Task<WebApplication>> build)
    {
        try
        {
            var app = await build();
            await app.RunAsync();
            return 0;
        }
        catch (ConfigurationException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
        catch (OptionsValidationException ex)
        {
            Console.Error.WriteLine("invalid configuration: " + string.Join("; ", ex.Failures));
            return 2;
        }
    }

    /// <summary>Binds and validates <paramref name="section"/>; each problem is added to <paramref name="problems"/>.</summary>
    public static T Bind<T>(IConfiguration configuration, string section, List<string> problems)
        where T : new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"{section}: {ex.Message}");
            return options;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            problems.AddRange(results.Select(r => r.ErrorMessage ?? $"{section} is not valid"));
        }

        return options;
    }
}

/// <summary>Settings that prevent a host from starting, each named in its message.</summary>
public sealed class ConfigurationException(IEnumerable<string> problems)
    : Exception("invalid configuration: " + string.Join("; ", problems));
