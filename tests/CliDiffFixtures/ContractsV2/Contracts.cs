using System.Text.Json.Serialization;
using IpcContracts;

namespace Shop;

// Version 2 only adds: a method and a contract. Compared the other way round (2 -> 1) both are removals.
[RequestContract("shop.inventory")]
public interface IInventory
{
    Task<int> GetStockAsync(string sku, CancellationToken cancellationToken = default);
    Task ReserveAsync(string sku, int quantity);
    Task<int> CountAsync();
}

[EventContract("shop.events")]
public interface IInventoryEvents
{
    void StockChanged(StockChanged e);
}

[RequestContract("shop.prices")]
public interface IPrices
{
    Task<decimal> GetPriceAsync(string sku);
}

public sealed record StockChanged(string Sku, int OnHand);

[JsonSerializable(typeof(StockChanged))]
internal sealed partial class ShopJson : JsonSerializerContext;
