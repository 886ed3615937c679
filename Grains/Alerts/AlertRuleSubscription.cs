using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orleans.IoT.Grains.Alerts;

/// <summary>
/// Keeps this silo's <see cref="AlertRuleBook"/> in step with the rules grain: a grain observer subscribed when the
/// silo becomes active (before the gateway takes messages) and renewed every <see cref="RenewalPeriod"/>, since the
/// rules grain forgets subscriptions when it moves to another silo. Each renewal also brings the rules in force, so a
/// silo that missed a change (it did not answer in time) has it within one period.
/// </summary>
public sealed partial class AlertRuleSubscription(
    IGrainFactory grains, ILocalSiloDetails silo, AlertRuleBook book, ILogger<AlertRuleSubscription> logger)
    : IAlertRulesObserver, ILifecycleParticipant<ISiloLifecycle>
{
    public static readonly TimeSpan RenewalPeriod = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();
    private IAlertRulesObserver? _reference;
    private Task _renewing = Task.CompletedTask;
    private bool _failing;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(AlertRuleSubscription), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    public Task RulesChanged(AlertRuleSet rules)
    {
        Take(rules);
        return Task.CompletedTask;
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _reference = grains.CreateObjectReference<IAlertRulesObserver>(this);
        await RenewAsync();
        _renewing = RenewPeriodicallyAsync(_stopping.Token);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _renewing;
        if (_reference is not null)
        {
            grains.DeleteObjectReference<IAlertRulesObserver>(_reference);
        }
    }

    private async Task RenewPeriodicallyAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(RenewalPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await RenewAsync();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    /// <summary>Subscribes again; a failure keeps the rules the silo has, logged once until a renewal succeeds.</summary>
    private async Task RenewAsync()
    {
        try
        {
            Take(await grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key).Subscribe(silo.SiloAddress, _reference!));
            if (_failing)
            {
                _failing = false;
                LogRenewed(book.Rules.Version);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            if (!_failing)
            {
                _failing = true;
                LogRenewalFailed(ex, book.Rules.Version, RenewalPeriod.TotalSeconds);
            }
        }
    }

    private void Take(AlertRuleSet rules)
    {
        if (book.Apply(rules))
        {
            LogRulesTaken(rules.Version, rules.Rules.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert rules version {Version} in force on this silo ({Count} rules)")]
    private partial void LogRulesTaken(long version, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to the alert rules; this silo keeps version {Version} and tries again every {PeriodSeconds} s")]
    private partial void LogRenewalFailed(Exception exception, long version, double periodSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to the alert rules again; version {Version} in force on this silo")]
    private partial void LogRenewed(long version);
}
