using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary><c>Validation:*</c>: the input rules of DESIGN §2 that operators may tune.</summary>
public sealed class ValidationOptions
{
    public const string Section = "Validation";

    /// <summary>How far ahead of receive time a device timestamp may be.</summary>
    [Range(0, 31_536_000)]
    public int MaxClockSkewSeconds { get; set; } = 86_400;
}
