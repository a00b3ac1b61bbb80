using IpcContracts;
using Quickstart.Contracts;

namespace Quickstart;

/// <summary>The server process: handles IInventory, calls the client back, publishes stock events.</summary>
internal static class ServerRole
{
    public static async Task<int> RunAsync(string endpoint)
    {
        IpcServer? server = null;
        var service = new InventoryService(() => server!.Publisher<IInventoryEvents>());
        server = await IpcServer.StartAsync(endpoint, s => s.Handle<IInventory>(service));
        await using var _ = server;
        // The orchestrator waits for this line before it starts the client.
        Console.WriteLine($"READY {server.Endpoint}");
        Console.WriteLine($"listening on {server.Endpoint} (pid {Environment.ProcessId})");
        while (Console.ReadLine() is { } line && line != "quit") { }
        return 0;
    }

    private sealed class InventoryService(Func<IInventoryEvents> events) : IInventory
    {
        private readonly Dictionary<string, int> _stock = new() { ["A-1"] = 42, ["B-7"] = 3 };
        private readonly Lock _lock = new();

        public Task<StockLevel> GetStockAsync(string sku, CancellationToken ct = default)
        {
            lock (_lock) return Task.FromResult(new StockLevel(sku, _stock.GetValueOrDefault(sku)));
        }

        public async Task ReserveAsync(Reservation reservation, CancellationToken ct = default)
        {
            int onHand;
            lock (_lock) onHand = _stock.GetValueOrDefault(reservation.Sku);
            if (reservation.Quantity > onHand)
                // A domain error: the client switches on the code; logged here as a Warning without a stack trace.
                throw new IpcErrorException("inventory.insufficient_stock", $"Only {onHand} of {reservation.Sku} on hand; cannot reserve {reservation.Quantity}.");

            // Duplex: ask the very client that called us to approve, over the same connection.
            var approver = IpcCallContext.Connection!.Proxy<IReservationApprover>();
            if (!await approver.ApproveAsync(reservation))
                throw new OperationCanceledException("The client declined the reservation.");

            lock (_lock) onHand = _stock[reservation.Sku] -= reservation.Quantity;
            events().StockChanged(new StockChanged(reservation.Sku, onHand));
        }
    }
}
