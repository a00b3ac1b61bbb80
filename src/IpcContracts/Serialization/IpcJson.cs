using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Serialization;

/// <summary>Builds the serializer options generated code takes its <see cref="JsonTypeInfo{T}"/> from.</summary>
public static class IpcJson
{
    /// <summary>
    /// Options whose resolver asks the given (user) contexts first, then <see cref="BuiltInJson"/>.
    /// Never falls back to reflection.
    /// </summary>
    public static JsonSerializerOptions CreateOptions(params IJsonTypeInfoResolver[] userResolvers)
    {
        var all = new IJsonTypeInfoResolver[userResolvers.Length + 1];
        userResolvers.CopyTo(all, 0);
        all[^1] = BuiltInJson.Default;
        var options = new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine(all) };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// The metadata for <typeparamref name="T"/> from <paramref name="options"/>, or a clear
    /// <see cref="IpcConfigurationException"/> saying which registration is missing.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static JsonTypeInfo<T> GetTypeInfo<T>(JsonSerializerOptions options)
    {
        if (options.TryGetTypeInfo(typeof(T), out var info) && info is JsonTypeInfo<T> typed)
            return typed;
        throw new IpcConfigurationException(
            $"No System.Text.Json metadata for {typeof(T).FullName}. Add [JsonSerializable(typeof({typeof(T).Name}))] " +
            "to a JsonSerializerContext in the contracts project (or name the context with [assembly: IpcJsonContext(typeof(...))]).");
    }
}
