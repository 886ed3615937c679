using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>
/// What a page requested, answered and navigated to from now on, so that a wait that times out says what the page did
/// meanwhile rather than only that it timed out.
/// </summary>
public sealed class PageTrace
{
    private readonly ConcurrentQueue<string> _events = new();
    private readonly IPage _page;

    private PageTrace(IPage page)
    {
        _page = page;
        page.Request += (_, request) => Note($"request {request.Method} {request.Url}");
        page.RequestFinished += (_, request) => Note($"answered {request.Method} {request.Url}");
        page.RequestFailed += (_, request) => Note($"failed {request.Method} {request.Url}: {request.Failure}");
        page.FrameNavigated += (_, frame) => Note($"navigated {frame.Url}");
        page.Console += (_, message) => Note($"console {message.Type}: {message.Text}");
    }

    public static PageTrace Start(IPage page) => new(page);

    /// <summary>
    /// Waits until the page's address ends with <paramref name="path"/>, failing with the trace. It polls the address
    /// (Playwright's URL assertion) rather than waiting for a navigation: <c>WaitForURLAsync</c> was seen (with this
    /// trace) to wait for a new navigation when the page had already navigated there during the click.
    /// </summary>
    public async Task WaitForPathAsync(string path)
    {
        try
        {
            await Assertions.Expect(_page).ToHaveURLAsync(new Regex(Regex.Escape(path) + "$"));
        }
        catch (PlaywrightException timeout)
        {
            throw new TimeoutException($"the page did not reach {path}; it is at {_page.Url}; what it did:\n{string.Join('\n', _events)}", timeout);
        }
    }

    private void Note(string what) => _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {what}");
}
