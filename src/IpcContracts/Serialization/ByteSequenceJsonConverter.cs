using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IpcContracts.Serialization;

/// <summary>
/// Writes a <see cref="ReadOnlySequence{T}"/> of bytes as a base64 JSON string, as System.Text.Json writes byte[]. Used only
/// where bytes are nested in JSON (an untyped call, an older peer); a top-level binary argument or result travels raw.
/// </summary>
internal sealed class ByteSequenceJsonConverter : JsonConverter<ReadOnlySequence<byte>>
{
    public override ReadOnlySequence<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? default : new ReadOnlySequence<byte>(reader.GetBytesFromBase64());

    public override void Write(Utf8JsonWriter writer, ReadOnlySequence<byte> value, JsonSerializerOptions options)
    {
        if (value.IsSingleSegment) writer.WriteBase64StringValue(value.FirstSpan);
        else writer.WriteBase64StringValue(value.ToArray());
    }
}
