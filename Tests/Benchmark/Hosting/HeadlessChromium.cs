using Microsoft.Playwright;

namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>
/// Headless Chromium driven by Playwright: Debian's <c>chromium</c> (deploy/services.sh installs it) or the executable
/// <c>ORLEANS_IOT_CHROMIUM</c> names, as the console's browser tests use; Playwright's own browser download is not used.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutableVariable = "ORLEANS_IOT_CHROMIUM";

    private const string DefaultExecutable = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    /// <summary>The executable to launch; fails, naming what to install or set, when it is not there.</summary>
    public static string Executable()
    {
        var executable = Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured ? configured : DefaultExecutable;
        return File.Exists(executable)
            ? executable
            : throw new InvalidOperationException(
                $"Chromium not found at {executable}: install Debian's chromium package (deploy/services.sh start does) or set {ExecutableVariable}");
    }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        var executable = Executable();
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
