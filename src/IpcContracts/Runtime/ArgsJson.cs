using System.Buffers;
using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Runtime;

/// <summary>
/// Helpers generated dispatchers use to read an argument object (<c>{"name": value, ...}</c>).
/// Unknown members are skipped and missing ones keep their default, so adding an optional
/// parameter later stays wire-compatible.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ArgsJson
{
    /// <summary>Creates a reader over the payload and positions it on the opening brace.</summary>
    public static Utf8JsonReader Begin(in ReadOnlySequence<byte> payload)
    {
        // A payload in one piece (nearly every frame) is read as a span: the reader's span mode is cheaper to set up, and
        // JsonSerializer scopes each object argument by slicing a span instead of a sequence. Same tokens, same errors.
        var reader = payload.IsSingleSegment ? new Utf8JsonReader(payload.FirstSpan) : new Utf8JsonReader(payload);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw BadPayload("the argument payload is not a JSON object");
        }
        catch (JsonException e)
        {
            throw BadPayload(e.Message, e);
        }
        return reader;
    }

    /// <summary>
    /// Advances to the next member name; false at the closing brace, once nothing but whitespace follows it
    /// (strict JSON: a comment, a second value or other bytes after the object are a bad payload).
    /// </summary>
    public static bool NextMember(ref Utf8JsonReader reader)
    {
        try
        {
            if (!reader.Read())
                throw BadPayload("the argument object is truncated");
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                // Members are read whole (Read/Skip), so this is the argument object's own closing brace. The
                // reader throws for anything after it but whitespace; true is impossible for a single-value reader.
                if (reader.Read())
                    throw BadPayload($"{reader.TokenType} after the argument object");
                return false;
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
                throw BadPayload($"expected a member name, found {reader.TokenType}");
            return true;
        }
        catch (JsonException e)
        {
            throw BadPayload(e.Message, e);
        }
    }

    /// <summary>Reads the value of the current member.</summary>
    public static T Read<T>(ref Utf8JsonReader reader, JsonTypeInfo<T> typeInfo, string parameterName)
    {
        try
        {
            if (!reader.Read())
                throw BadPayload($"argument '{parameterName}' is truncated");
            return Serialization.JsonValueReader.Read(ref reader, typeInfo);
        }
        catch (JsonException e)
        {
            throw BadPayload($"argument '{parameterName}' is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>Skips the value of a member this side does not know.</summary>
    public static void Skip(ref Utf8JsonReader reader)
    {
        try
        {
            reader.Read();
            reader.Skip();
        }
        catch (JsonException e)
        {
            throw BadPayload(e.Message, e);
        }
    }

    /// <summary>Writes one argument as a member of the argument object.</summary>
    public static void Write<T>(Utf8JsonWriter writer, string parameterName, T value, JsonTypeInfo<T> typeInfo)
    {
        writer.WritePropertyName(parameterName);
        JsonSerializer.Serialize(writer, value, typeInfo);
    }

    /// <summary>
    /// Writes a method's binary argument (docs/protocol.md, "Binary payloads"): its bytes go raw into the frame after the
    /// argument object, not into the object. A null <c>byte[]</c> is written as a JSON null member instead, so it stays null.
    /// </summary>
    public static void WriteBinary(Utf8JsonWriter writer, string parameterName, byte[]? value)
    {
        if (value is null)
        {
            writer.WritePropertyName(parameterName);
            writer.WriteNullValue();
            return;
        }
        WriteBinary(writer, parameterName, new ReadOnlySequence<byte>(value));
    }

    /// <inheritdoc cref="WriteBinary(Utf8JsonWriter, string, byte[])"/>
    public static void WriteBinary(Utf8JsonWriter writer, string parameterName, ReadOnlyMemory<byte> value) =>
        WriteBinary(writer, parameterName, new ReadOnlySequence<byte>(value));

    /// <inheritdoc cref="WriteBinary(Utf8JsonWriter, string, byte[])"/>
    public static void WriteBinary(Utf8JsonWriter writer, string parameterName, in ReadOnlySequence<byte> value)
    {
        if (Connections.FrameBuilder.TryAttachBinary(writer, value)) return;
        // No frame is being built around this writer (or it has its binary argument already): the JSON form, base64,
        // which every reader accepts.
        writer.WritePropertyName(parameterName);
        JsonSerializer.Serialize(writer, value, Serialization.BinaryJson.ReadOnlySequence);
    }

    // Marked as the dispatch's own failure: the caller's arguments are bad (bad_payload), not the handler's.
    private static IpcProtocolException BadPayload(string detail, Exception? inner = null) =>
        new(ProtocolError.BadPayload, "Malformed call payload: " + detail, inner) { IsDispatchFailure = true };
}
