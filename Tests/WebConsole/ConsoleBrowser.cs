using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>
/// One headless Chromium for the console's browser tests: Debian's <c>chromium</c> (deploy/services.sh installs it),
/// or the executable <c>ORLEANS_IOT_CHROMIUM</c> names, driven by Playwright; Playwright's own browser download is
/// not used. Screenshots go to <see cref="ScreenshotFolder"/>.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public const string ExecutableVariable = "ORLEANS_IOT_CHROMIUM";

    public const string DefaultExecutable = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IBrowserContext? _current;

    public string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser has not started");

    public async Task InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured ? configured : DefaultExecutable;
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {executable}: install Debian's chromium package (deploy/services.sh start does) or set {ExecutableVariable}");
        }

        Directory.CreateDirectory(ScreenshotFolder);
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true });
    }

    /// <summary>
    /// A fresh browser context (its own cookies) on <paramref name="baseUrl"/>, <paramref name="width"/> px wide. The
    /// previous test's context is closed first: its page would go on polling and holding event streams meanwhile.
    /// </summary>
    public async Task<IPage> NewPageAsync(string baseUrl, int width = 1280, ColorScheme colorScheme = ColorScheme.Light)
    {
        if (_current is not null)
        {
            await _current.CloseAsync();
        }

        var context = _current = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
            ColorScheme = colorScheme,
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>Saves the page as it is now under <see cref="ScreenshotFolder"/>; returns the file.</summary>
    public async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var file = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        return file;
    }

    /// <summary>Saves the page as <see cref="ScreenshotAsync"/> does, names the file in the test's output, and closes the page's context unless told not to.</summary>
    public async Task SaveAsync(ITestOutputHelper output, IPage page, string name, bool close = true)
    {
        output.WriteLine($"screenshot: {await ScreenshotAsync(page, name)}");
        if (close)
        {
            await page.Context.CloseAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
