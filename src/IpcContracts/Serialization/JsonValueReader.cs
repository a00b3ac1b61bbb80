using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Serialization;

/// <summary>
/// Reads one JSON value of a payload (an argument, a result, an event, a stream item), cheapest way first: the
/// generated reader for the type (<see cref="GeneratedReaders{T}"/>), else System.Text.Json's own converter for an
/// object or array, else <see cref="JsonSerializer"/>. Each faster way hands anything it does not read exactly as
/// System.Text.Json would back to the next, from the same position, so results and errors (with their messages) are
/// System.Text.Json's.
/// </summary>
internal static class JsonValueReader
{
    /// <summary>Reads the value whose first token the reader is on; leaves the reader on its last token.</summary>
    public static T Read<T>(ref Utf8JsonReader reader, JsonTypeInfo<T> typeInfo)
    {
        if (GeneratedReaders<T>.TryRead(ref reader, typeInfo, out var value))
            return value;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && typeInfo.Kind != JsonTypeInfoKind.None &&
            typeInfo.Converter is JsonConverter<T> converter)
        {
            // JsonSerializer.Deserialize(ref reader) first skips an object or array to find its end and then parses it
            // again from a reader scoped to it: every object payload was tokenized twice (about a sixth of a 64 B
            // event's delivery). Kind is None for a custom converter, so this is STJ's own object or collection
            // converter, which reads exactly one value and stops on its end token, with the metadata of these options.
            // Anything unusual it meets (bad JSON, a type mismatch, which it would report as a bare
            // InvalidOperationException here) is read again the checked way below, from the same position, so errors
            // and their messages are those of Deserialize. (A constructor of the type that throws one of these
            // exception types therefore runs twice before the read fails, with its own exception as before.)
            var start = reader;
            try
            {
                return converter.Read(ref reader, typeof(T), typeInfo.Options)!;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NotSupportedException)
            {
                reader = start;
            }
        }
        return JsonSerializer.Deserialize(ref reader, typeInfo)!;
    }
}
