using System.Diagnostics;
using IpcContracts;
using IpcContracts.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HostingSample;

/// <summary>The client process: a hosted IPC client; IWarehouse is injected as a proxy.</summary>
internal static class ShopRole
{
    public static readonly ActivitySource Source = new("HostingSample.Shop");

    public static async Task<int> RunAsync(string endpoint)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddSampleTelemetry("shop");
        builder.Services.AddIpcContracts()
            .AddClient(endpoint, client => client
                .AddProxy<IWarehouse>()
                .Configure(o => o.ConnectOnStart = true));
        builder.Services.AddHostedService<Checkout>();
        using var host = builder.Build();
        await host.RunAsync(); // Checkout stops the host when it is done
        return Environment.ExitCode;
    }
}

/// <summary>One checkout: two calls to the warehouse and the event they cause, all in one trace.</summary>
internal sealed class Checkout(IWarehouse warehouse, IpcHostedClients clients, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var changed = new TaskCompletionSource<StockLevel>(TaskCreationOptions.RunContinuationsAsynchronously);
            var client = clients.Get();
            using var subscription = client.Subscribe<IWarehouseEvents>(new StockListener(changed));
            await (await client.GetConnectionAsync(stoppingToken)).PingAsync(stoppingToken); // the warehouse has our subscription now

            using (var checkout = ShopRole.Source.StartActivity("checkout"))
            {
                var before = await warehouse.GetStockAsync("A-1", stoppingToken);
                Console.WriteLine($"shop: {before.Sku} has {before.OnHand} on hand");
                var after = await warehouse.ReserveAsync("A-1", 2, stoppingToken);
                Console.WriteLine($"shop: reserved 2, {after.OnHand} left");
                var seen = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10), stoppingToken);
                Console.WriteLine($"shop: event StockChanged({seen.Sku}, {seen.OnHand})");
                Console.WriteLine($"TRACE {checkout?.TraceId.ToHexString()}");
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"shop: checkout failed: {e.Message}");
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private sealed class StockListener(TaskCompletionSource<StockLevel> changed) : WarehouseEventsListener
    {
        public override void StockChanged(StockLevel level) => changed.TrySetResult(level);
    }
}
