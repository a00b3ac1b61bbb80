namespace IpcContracts.Windows.Tests;

/// <summary>Waits for a condition another thread or process makes true; fails (not hangs) after a generous bound.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutMs = 90_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail($"Not true within {timeoutMs} ms: {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>As <see cref="TrueAsync(Func{bool}, string, int)"/>, for a condition that is itself a call.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int timeoutMs = 90_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail($"Not true within {timeoutMs} ms: {what}");
            await Task.Delay(10);
        }
    }
}
