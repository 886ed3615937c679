using Orleans.Runtime;

namespace Orleans.IoT.Grains.Console;

/// <summary>
/// A console session in grain storage (Redis in the durable profile), so that it holds on every gateway and survives
/// the silo that held it. A reminder clears a session nobody signed out of once it has expired, so that stored
/// sessions do not pile up.
/// </summary>
public sealed class ConsoleSessionGrain(
    [PersistentState("console-session", StorageNames.Devices)] IPersistentState<ConsoleSessionState> state,
    TimeProvider clock) : Grain, IConsoleSessionGrain, IRemindable
{
    private const string ExpiryReminder = "console-session-expiry";

    /// <summary>Orleans' shortest reminder period, and a day, well within its longest.</summary>
    private static readonly TimeSpan ShortestReminder = TimeSpan.FromMinutes(1), LongestReminder = TimeSpan.FromDays(1);

    public async Task Keep(ConsoleSessionTicket ticket, bool onlyIfPresent)
    {
        var current = Current();
        if (onlyIfPresent && current is null)
        {
            return;
        }

        state.State.Session = ticket;
        await state.WriteStateAsync();
        if (current is null)
        {
            // A renewal extends a session by at most its lifetime, so a tick every lifetime finds it expired within
            // two lifetimes of its last use.
            var lifetime = ticket.ExpiresAt - clock.GetUtcNow();
            var period = lifetime < ShortestReminder ? ShortestReminder : lifetime > LongestReminder ? LongestReminder : lifetime;
            await this.RegisterOrUpdateReminder(ExpiryReminder, period, period);
        }
    }

    public async Task<ConsoleSessionTicket?> Read()
    {
        var current = Current();
        if (current is null && state.State.Session is not null)
        {
            await EndAsync();
        }

        return current;
    }

    public Task End() => EndAsync();

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (Current() is null)
        {
            await EndAsync();
        }
    }

    private ConsoleSessionTicket? Current() =>
        state.State.Session is { } session && session.ExpiresAt > clock.GetUtcNow() ? session : null;

    private async Task EndAsync()
    {
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }

        state.State.Session = null;
        if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        DeactivateOnIdle();
    }
}
