namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Waits for what another process or host does in its own time (a broker redelivering, a replica handling).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {timeout ?? TimeSpan.FromSeconds(15)}: {what}");
            }

            await Task.Delay(50);
        }
    }
}
