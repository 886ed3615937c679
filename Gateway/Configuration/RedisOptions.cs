using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary><c>Redis:*</c>.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Redis:ConnectionString is required")]
    public string ConnectionString { get; set; } = "localhost:6379";
}
