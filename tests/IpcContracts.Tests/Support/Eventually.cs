namespace IpcContracts.Tests.Support;

/// <summary>Waits for a condition another thread or process makes true; fails (not hangs) after a generous bound.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, int timeoutMs = 10_000, Func<string>? state = null)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            // What the test knows at the deadline, so that a failure in CI tells more than that it failed.
            if (Environment.TickCount64 > deadline) Assert.Fail("The condition did not become true." + (state is null ? "" : " " + state()));
            await Task.Delay(10);
        }
    }

    /// <summary>As <see cref="TrueAsync(Func{bool}, int)"/>, for a condition that is itself a call.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail("The condition did not become true.");
            await Task.Delay(10);
        }
    }
}
