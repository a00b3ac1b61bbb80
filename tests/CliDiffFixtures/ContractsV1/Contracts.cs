using System.Text.Json.Serialization;
using IpcContracts;

namespace Shop;

[RequestContract("shop.inventory")]
public interface IInventory
{
    Task<int> GetStockAsync(string sku, CancellationToken cancellationToken = default);
    Task ReserveAsync(string sku, int quantity);
}

[EventContract("shop.events")]
public interface IInventoryEvents
{
    void StockChanged(StockChanged e);
}

public sealed record StockChanged(string Sku, int OnHand);

[JsonSerializable(typeof(StockChanged))]
internal sealed partial class ShopJson : JsonSerializerContext;
