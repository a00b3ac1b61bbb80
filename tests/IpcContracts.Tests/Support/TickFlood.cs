using IpcContracts.TestContracts;

namespace IpcContracts.Tests.Support;

/// <summary>
/// Publishes 1,000-character ticks back to back on a pool thread until stopped: a sender that always has frames in
/// flight, for tests in which the peer leaves mid-stream. Yields every 64 events so the test's own awaits keep running.
/// </summary>
internal sealed class TickFlood
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _publishing;

    private TickFlood(ITicks publisher) =>
        _publishing = Task.Run(async () =>
        {
            for (var i = 1; !_stop.IsCancellationRequested; i++)
            {
                publisher.Tick(new Tick(i, new string('p', 1000)));
                if (i % 64 == 0) await Task.Yield();
            }
        });

    /// <summary>Starts publishing through <paramref name="publisher"/>.</summary>
    public static TickFlood Start(ITicks publisher) => new(publisher);

    /// <summary>
    /// Stops publishing and waits for the loop to end; a publish that threw (it must not: a peer that left is the
    /// connection's business, not the publisher's) fails the test here. The bound turns a wedge into a failure.
    /// </summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        try
        {
            await _publishing.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
