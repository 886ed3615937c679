using System.Net.Sockets;
using Orleans.Runtime;

namespace Orleans.IoT.Gateway.Messaging;

/// <summary>
/// The two kinds of failure of DESIGN §2: a passing fault (a store or the cluster unreachable, a timeout) leaves the
/// message unacknowledged so the device sends it again; anything else is a permanent failure of that one message.
/// The host adds the exception types of its own adapters' clients (a Redis connection failure, say), which the
/// gateway cannot know.
/// </summary>
public sealed class FailureClassifier(params Type[] passingTypes)
{
    private readonly Type[] _passingTypes = passingTypes;

    public bool IsPassing(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PassingFaultException
                or TimeoutException
                or OperationCanceledException
                or IOException
                or SocketException
                or SiloUnavailableException
                or OrleansMessageRejectionException
                or GatewayTooBusyException
                or ClientNotAvailableException
                or Orleans.Runtime.Messaging.ConnectionFailedException)
            {
                return true;
            }

            foreach (var type in _passingTypes)
            {
                if (type.IsInstanceOfType(current))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
