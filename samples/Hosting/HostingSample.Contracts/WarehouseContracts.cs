using System.Text.Json.Serialization;
using IpcContracts;

namespace HostingSample;

/// <summary>Served by the warehouse process.</summary>
[RequestContract("warehouse")]
public interface IWarehouse
{
    Task<StockLevel> GetStockAsync(string sku, CancellationToken cancellationToken = default);
    Task<StockLevel> ReserveAsync(string sku, int quantity, CancellationToken cancellationToken = default);
}

/// <summary>Published by the warehouse to every subscribed process.</summary>
[EventContract("warehouse.events")]
public interface IWarehouseEvents
{
    void StockChanged(StockLevel level);
}

public sealed record StockLevel(string Sku, int OnHand);

[JsonSerializable(typeof(StockLevel))]
internal sealed partial class WarehouseJson : JsonSerializerContext;
