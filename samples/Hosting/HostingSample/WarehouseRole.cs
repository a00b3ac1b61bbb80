using IpcContracts;
using IpcContracts.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HostingSample;

/// <summary>The server process: a hosted IPC server whose handler comes from DI, one scope per call.</summary>
internal static class WarehouseRole
{
    public static async Task<int> RunAsync(string endpoint)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddSampleTelemetry("warehouse");
        builder.Services.AddSingleton<Stock>();
        builder.Services.AddIpcContracts()
            .AddServer(endpoint, server => server
                .Handle<IWarehouse, WarehouseService>()   // scoped: a new WarehouseService per call
                .AddPublisher<IWarehouseEvents>());       // inject IWarehouseEvents to publish to every subscriber
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine($"READY {host.Services.GetRequiredService<IpcHostedServers>().Get().Endpoint}");
        while (await Console.In.ReadLineAsync() is { } line && line != "quit") { }
        await host.StopAsync(); // drains calls in flight, then closes connections
        return 0;
    }
}

/// <summary>The warehouse's state, shared by every call.</summary>
internal sealed class Stock
{
    private readonly Dictionary<string, int> _onHand = new() { ["A-1"] = 41, ["B-2"] = 7 };

    public int Get(string sku)
    {
        lock (_onHand) return _onHand.GetValueOrDefault(sku);
    }

    public int Take(string sku, int quantity)
    {
        lock (_onHand)
        {
            var left = _onHand.GetValueOrDefault(sku);
            if (left < quantity) throw new IpcErrorException("warehouse.insufficient_stock", $"Only {left} of {sku} left."); // a domain error: the caller gets the code
            return _onHand[sku] = left - quantity;
        }
    }
}

internal sealed class WarehouseService(Stock stock, IWarehouseEvents events, ILogger<WarehouseService> logger) : IWarehouse
{
    public Task<StockLevel> GetStockAsync(string sku, CancellationToken cancellationToken = default) =>
        Task.FromResult(new StockLevel(sku, stock.Get(sku)));

    public Task<StockLevel> ReserveAsync(string sku, int quantity, CancellationToken cancellationToken = default)
    {
        var level = new StockLevel(sku, stock.Take(sku, quantity));
        logger.LogInformation("Reserved {Quantity} of {Sku}, {OnHand} left", quantity, sku, level.OnHand);
        events.StockChanged(level);
        return Task.FromResult(level);
    }
}
