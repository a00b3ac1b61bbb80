using System.Collections.Concurrent;
using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Runtime;

/// <summary>
/// Process-wide table of message types for the aggregator, filled by generated module initializers
/// from the types each contracts assembly registers with <c>[JsonSerializable]</c> and uses in contracts.
/// </summary>
public static class MessageTypeRegistry
{
    private static readonly ConcurrentDictionary<uint, string> s_names = new();

    /// <summary>Registers a message type. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Register<T>(uint id, string name, Func<JsonTypeInfo<T>> typeInfo)
    {
        Slot<T>.Value ??= new MessageType<T>(id, name, typeInfo);
        s_names[id] = name;
    }

    /// <summary>The registration for <typeparamref name="T"/>, or null.</summary>
    public static MessageType<T>? TryGet<T>() => Slot<T>.Value;

    /// <summary>The registration for <typeparamref name="T"/>, or a clear configuration error.</summary>
    public static MessageType<T> Get<T>() => Slot<T>.Value ?? throw new IpcConfigurationException(
        $"{typeof(T).FullName} is not a registered message type. Add [JsonSerializable(typeof({typeof(T).Name}))] to a " +
        "JsonSerializerContext in a project that references the IpcContracts generator.");

    /// <summary>
    /// The IDs of every message type registered so far. A broker transport lists them as the aggregator messages its peer
    /// (the broker) takes, since it cannot know which types other processes subscribe to or serve.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static IReadOnlyCollection<uint> RegisteredIds => [.. s_names.Keys];

    /// <summary>Name of a registered message type ID, for error messages.</summary>
    public static string? FindName(uint id) => s_names.GetValueOrDefault(id);

    private static class Slot<T>
    {
        public static MessageType<T>? Value;
    }
}
