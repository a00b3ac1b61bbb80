using System.Text.Json.Serialization;
using IpcContracts;

namespace Versioning;

// Version 1. Version 2 (tests/IpcContracts.Versioning.V2/Contracts.cs) makes the safe changes of docs/versioning.md and
// one breaking change, so the tests can show both verdicts of the shape check across two builds.

[RequestContract("versioning.catalog")]
public interface ICatalog
{
    Task<string> DescribeAsync(string name, CancellationToken ct = default);

    Task<Item> GetAsync(string name);

    Task<int> ScaleAsync(int factor);

    /// <summary>Publishes <see cref="ICatalogEvents.Changed"/> for <paramref name="name"/>.</summary>
    Task TouchAsync(string name);
}

[EventContract("versioning.catalog.events")]
public interface ICatalogEvents
{
    void Changed(string name);
}

public sealed record Item(string Name);

[JsonSerializable(typeof(Item))]
internal sealed partial class CatalogJson : JsonSerializerContext;
