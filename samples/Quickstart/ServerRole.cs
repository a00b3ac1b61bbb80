using IpcContracts;
using Quickstart.Contracts;

namespace Quickstart;

/// <summary>The server process: handles IInventory, calls the client back, publishes stock events.</summary>
internal static class ServerRole
{
    public static async Task<int> RunAsync(string endpoint)
    {
        var stock = new Stock();
        await using var server = await IpcServer.StartAsync(endpoint, s =>
        {
            // The builder's publisher publishes through this server: a handler can hold it before the server exists.
            var events = s.Publisher<IInventoryEvents>();
            // A handler per call, given the connection the call came on (to call that very client back).
            s.Handle<IInventory>(caller => new InventoryService(stock, events, caller));
        });
        // The orchestrator waits for this line before it starts the client.
        Console.WriteLine($"READY {server.Endpoint}");
        Console.WriteLine($"listening on {server.Endpoint} (pid {Environment.ProcessId})");
        while (Console.ReadLine() is { } line && line != "quit") { }
        return 0;
    }

    /// <summary>The inventory itself, shared by every call.</summary>
    private sealed class Stock
    {
        private readonly Dictionary<string, int> _onHand = new() { ["A-1"] = 42, ["B-7"] = 3 };
        private readonly Lock _lock = new();

        public int Get(string sku)
        {
            lock (_lock) return _onHand.GetValueOrDefault(sku);
        }

        public int Take(string sku, int quantity)
        {
            lock (_lock) return _onHand[sku] -= quantity;
        }
    }

    private sealed class InventoryService(Stock stock, IInventoryEvents events, IpcConnection caller) : IInventory
    {
        public Task<StockLevel> GetStockAsync(string sku, CancellationToken ct = default) =>
            Task.FromResult(new StockLevel(sku, stock.Get(sku)));

        public async Task ReserveAsync(Reservation reservation, CancellationToken ct = default)
        {
            var onHand = stock.Get(reservation.Sku);
            if (reservation.Quantity > onHand)
                // A domain error: the client switches on the code; logged here as a Warning without a stack trace.
                throw new IpcErrorException("inventory.insufficient_stock", $"Only {onHand} of {reservation.Sku} on hand; cannot reserve {reservation.Quantity}.");

            // Duplex: ask the very client that called us to approve, over the same connection.
            if (!await caller.Proxy<IReservationApprover>().ApproveAsync(reservation))
                throw new OperationCanceledException("The client declined the reservation.");

            events.StockChanged(new StockChanged(reservation.Sku, stock.Take(reservation.Sku, reservation.Quantity)));
        }
    }
}
