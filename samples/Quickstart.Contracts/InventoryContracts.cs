using System.Text.Json.Serialization;
using IpcContracts;

namespace Quickstart.Contracts;

/// <summary>Requests the client makes; the server handles them.</summary>
[RequestContract("inventory")]
public interface IInventory
{
    Task<StockLevel> GetStockAsync(string sku, CancellationToken ct = default);
    Task ReserveAsync(Reservation reservation, CancellationToken ct = default);
}

/// <summary>Events the server fans out to every subscribed client.</summary>
[EventContract("inventory.events")]
public interface IInventoryEvents
{
    void StockChanged(StockChanged e);
}

/// <summary>Handled by the client: the server calls back to ask the reserving client to confirm.</summary>
[RequestContract("inventory.approvals")]
public interface IReservationApprover
{
    Task<bool> ApproveAsync(Reservation reservation);
}

public sealed record StockLevel(string Sku, int OnHand);
public sealed record Reservation(string Sku, int Quantity);
public sealed record StockChanged(string Sku, int OnHand);

[JsonSerializable(typeof(StockLevel))]
[JsonSerializable(typeof(Reservation))]
[JsonSerializable(typeof(StockChanged))]
internal sealed partial class InventoryJson : JsonSerializerContext;
