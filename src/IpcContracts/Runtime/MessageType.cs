using System.Collections.Concurrent;
using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Runtime;

/// <summary>A payload type the aggregator can send: its stable wire ID, name and JSON metadata.</summary>
public sealed class MessageType<T>
{
    private readonly Func<JsonTypeInfo<T>> _typeInfo;
    private JsonTypeInfo<T>? _cached;

    internal MessageType(uint id, string name, Func<JsonTypeInfo<T>> typeInfo)
    {
        Id = id;
        Name = name;
        _typeInfo = typeInfo;
    }

    /// <summary>FNV-1a 32 of <see cref="Name"/>.</summary>
    public uint Id { get; }

    /// <summary>Canonical full type name (e.g. <c>Shop.Page&lt;Shop.StockLevel&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>Metadata from the user's JsonSerializerContext (resolved on first use).</summary>
    public JsonTypeInfo<T> TypeInfo => _cached ??= _typeInfo();
}
