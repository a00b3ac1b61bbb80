using System.Diagnostics;
using IpcContracts;
using Quickstart.Contracts;

namespace Quickstart;

/// <summary>The client process: calls, receives events, is called back, sees a remote exception.</summary>
internal static class ClientRole
{
    public static async Task<int> RunAsync(string endpoint)
    {
        var start = Stopwatch.GetTimestamp();
        await using var client = await IpcClient.ConnectAsync(endpoint, c => c.Handle<IReservationApprover>(new Approver()));
        Console.WriteLine($"connected to {endpoint}: server process {client.Connection.PeerName}, this process {Environment.ProcessId} " +
                          $"({Ms(Stopwatch.GetElapsedTime(start))} incl. handshake)");

        var inventory = client.Proxy<IInventory>();
        var events = new StockListener();
        using var subscription = client.Subscribe<IInventoryEvents>(events);

        var t0 = Stopwatch.GetTimestamp();
        var level = await inventory.GetStockAsync("A-1");
        var sinceProcessStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
        Console.WriteLine($"request   GetStockAsync(\"A-1\") -> {level}  [first call {Ms(Stopwatch.GetElapsedTime(t0))}; " +
                          $"first answer {Ms(sinceProcessStart)} after this process started]");

        var samples = new double[2000];
        for (var i = 0; i < samples.Length; i++)
        {
            var s = Stopwatch.GetTimestamp();
            await inventory.GetStockAsync("A-1");
            samples[i] = Stopwatch.GetElapsedTime(s).TotalMicroseconds;
        }
        Array.Sort(samples);
        Console.WriteLine($"request   {samples.Length} x GetStockAsync round trips: p50 {samples[samples.Length / 2]:0} us, " +
                          $"p99 {samples[samples.Length * 99 / 100]:0} us");

        await inventory.ReserveAsync(new Reservation("A-1", 1));
        Console.WriteLine("request   ReserveAsync(A-1 x 1) -> ok (the server called back for approval, see above)");
        var changed = await events.Next.WaitAsync(TimeSpan.FromSeconds(10));
        Console.WriteLine($"event     StockChanged {changed}");

        try
        {
            await inventory.ReserveAsync(new Reservation("B-7", 100));
        }
        catch (RemoteInvocationException e) when (e.ErrorCode == "inventory.insufficient_stock")
        {
            Console.WriteLine($"error     ReserveAsync(B-7 x 100) -> RemoteInvocationException, error code {e.ErrorCode}: {e.RemoteMessage}");
        }
        Console.WriteLine($"done in {Ms(Stopwatch.GetElapsedTime(start))}");
        return 0;
    }

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.0} ms";

    private sealed class Approver : IReservationApprover
    {
        public Task<bool> ApproveAsync(Reservation reservation)
        {
            Console.WriteLine($"callback  server asked this client to approve {reservation} -> yes");
            return Task.FromResult(true);
        }
    }

    // InventoryEventsListener is generated next to IInventoryEvents: every event is a virtual no-op, so a listener
    // overrides only the events it cares about.
    private sealed class StockListener : InventoryEventsListener
    {
        private TaskCompletionSource<StockChanged> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<StockChanged> Next => _next.Task;

        public override void StockChanged(StockChanged e) => _next.TrySetResult(e);
    }
}
