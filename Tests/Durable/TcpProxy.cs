using System.Net;
using System.Net.Sockets;

namespace Orleans.IoT.Tests.Durable;

/// <summary>
/// A loopback TCP forwarder that can cut a service off: <see cref="Cut"/> resets every open connection, including
/// one still being set up, and resets each new one as soon as it is accepted, as a stopped server would (the client
/// sees its connection reset rather than refused); <see cref="Restore"/> lets them through again.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    public TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Cut()
    {
        lock (_open)
        {
            _cut = true;
            foreach (var client in _open)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
            }

            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (_cut)
            {
                inbound.Client.LingerState = new LingerOption(true, 0);
                inbound.Dispose();
                continue;
            }

            _ = ForwardAsync(inbound);
        }
    }

    private async Task ForwardAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(_target, _stopping.Token);
            lock (_open)
            {
                // Cut while this connection was being set up: Cut has already reset the ones it found open.
                if (_cut)
                {
                    inbound.Client.LingerState = new LingerOption(true, 0);
                    return;
                }

                _open.Add(inbound);
                _open.Add(outbound);
            }

            await Task.WhenAny(
                inbound.GetStream().CopyToAsync(outbound.GetStream(), _stopping.Token),
                outbound.GetStream().CopyToAsync(inbound.GetStream(), _stopping.Token));
        }
        catch (Exception)
        {
            // A cut or a closed side ends the forwarding; both sides are closed below.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }

            inbound.Dispose();
            outbound.Dispose();
        }
    }
}
