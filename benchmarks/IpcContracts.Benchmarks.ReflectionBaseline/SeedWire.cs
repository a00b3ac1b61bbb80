using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Benchmarks.ReflectionBaseline;

/// <summary>
/// The seed-000 message: every payload travels as a JSON string inside a JSON envelope that names its
/// .NET type by assembly-qualified name (JSON inside JSON, type names on the wire).
/// </summary>
public sealed class SeedEnvelope
{
    public string MessageId { get; set; } = "";
    public string CorrelationId { get; set; } = "";
    public string EventType { get; set; } = "";
    public bool IsRequest { get; set; }
    public bool IsResponse { get; set; }
    public string? ReplyTo { get; set; }
    public DateTimeOffset Timestamp { get; set; }
    public string PayloadJson { get; set; } = "";
}

/// <summary>
/// Serialization and framing as seed 000 does it: reflection-based <see cref="JsonSerializer"/> for the
/// payload (camelCase, string enums) and for the envelope (serializer defaults), the envelope turned into
/// a .NET string, then UTF-8 bytes, behind a 4-byte length prefix.
/// </summary>
/// <remarks>
/// Two deliberate differences from the seed's text, neither of which changes the work done:
/// (1) the options name the reflection resolver (<see cref="DefaultJsonTypeInfoResolver"/>) explicitly, because
/// the benchmark host runs with <c>JsonSerializerIsReflectionEnabledByDefault=false</c> like every other
/// project here, and the seed's parameterless <c>JsonSerializer.Serialize(envelope)</c> would then throw;
/// the resolver is the same one the serializer's defaults use.
/// (2) the seed deserializes payloads with the serializer's defaults although it serialized them camelCase,
/// which silently leaves every member at its default; here the payload options are used both ways so the
/// handler receives real data (same metadata, same amount of parsing).
/// </remarks>
public static class SeedWire
{
    /// <summary>The seed's payload options.</summary>
    public static readonly JsonSerializerOptions PayloadOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>The serializer defaults the seed uses for the envelope itself.</summary>
    public static readonly JsonSerializerOptions EnvelopeOptions = new() { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    /// <summary>The seed's <c>Serialize&lt;T&gt;</c>: reflection-based, to a .NET string.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, PayloadOptions);

    /// <summary>The seed's <c>Wrap&lt;T&gt;</c>: a fresh envelope naming <typeparamref name="T"/> by assembly-qualified name.</summary>
    public static SeedEnvelope Wrap<T>(T payload, bool isRequest, string? replyTo, string? correlationId = null) => new()
    {
        MessageId = Guid.NewGuid().ToString("N"),
        CorrelationId = correlationId ?? Guid.NewGuid().ToString("N"),
        EventType = typeof(T).AssemblyQualifiedName!,
        IsRequest = isRequest,
        ReplyTo = replyTo,
        PayloadJson = Serialize(payload),
        Timestamp = DateTimeOffset.UtcNow,
    };

    /// <summary>The seed's transport write: envelope to a JSON string, to UTF-8, behind a 4-byte length.</summary>
    public static byte[] Frame(SeedEnvelope envelope)
    {
        var json = JsonSerializer.Serialize(envelope, EnvelopeOptions);
        var body = Encoding.UTF8.GetBytes(json);
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    /// <summary>The seed's transport read: length, bytes to a .NET string, string to an envelope.</summary>
    public static SeedEnvelope? Unframe(ReadOnlySpan<byte> frame)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(frame);
        var body = frame.Slice(4, length).ToArray(); // the seed reads into a fresh array per message
        var json = Encoding.UTF8.GetString(body);
        return JsonSerializer.Deserialize<SeedEnvelope>(json, EnvelopeOptions);
    }

    /// <summary>
    /// The seed's named-pipe <c>WriteEnvelopeAsync</c>: the envelope to a JSON string, to UTF-8, then the 4-byte length and
    /// the bytes as two writes.
    /// </summary>
    public static async Task WriteEnvelopeAsync(Stream stream, SeedEnvelope envelope, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(envelope, EnvelopeOptions);
        var payload = Encoding.UTF8.GetBytes(json);
        var lengthPrefix = BitConverter.GetBytes(payload.Length);
        await stream.WriteAsync(lengthPrefix.AsMemory(0, 4), ct).ConfigureAwait(false);
        await stream.WriteAsync(payload.AsMemory(), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The seed's named-pipe <c>ReadEnvelopeAsync</c>: a 4-byte length, that many bytes into a fresh array, a .NET string,
    /// an envelope. Null at the end of the stream or on a short frame, as in the seed.
    /// </summary>
    public static async Task<SeedEnvelope?> ReadEnvelopeAsync(Stream stream, CancellationToken ct)
    {
        var lengthBuffer = new byte[4];
        var read = await stream.ReadAsync(lengthBuffer.AsMemory(0, 4), ct).ConfigureAwait(false);
        if (read < 4) return null;
        var length = BitConverter.ToInt32(lengthBuffer, 0);
        var payload = new byte[length];
        var total = 0;
        while (total < length)
        {
            var r = await stream.ReadAsync(payload.AsMemory(total, length - total), ct).ConfigureAwait(false);
            if (r == 0) break;
            total += r;
        }
        if (total < length) return null;
        return JsonSerializer.Deserialize<SeedEnvelope>(Encoding.UTF8.GetString(payload), EnvelopeOptions);
    }

    /// <summary>The seed's <c>EventSerializer.Deserialize&lt;T&gt;</c>: reflection-based, from a .NET string.</summary>
    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, PayloadOptions)!;

    /// <summary>
    /// A request frame written by hand (no serializer involved), so a fresh process can measure its first
    /// dispatch without having warmed up System.Text.Json while preparing the input.
    /// </summary>
    public static byte[] HandWrittenRequest(Type payloadType, string camelCasePayloadJson)
    {
        var payloadText = camelCasePayloadJson.Replace("\\", "\\\\").Replace("\"", "\\\"");
        var json = "{\"MessageId\":\"0123456789abcdef0123456789abcdef\",\"CorrelationId\":\"fedcba9876543210fedcba9876543210\"," +
                   "\"EventType\":\"" + payloadType.AssemblyQualifiedName + "\",\"IsRequest\":true,\"IsResponse\":false," +
                   "\"ReplyTo\":\"bench-replies\",\"Timestamp\":\"2025-01-01T00:00:00+00:00\",\"PayloadJson\":\"" + payloadText + "\"}";
        var body = Encoding.UTF8.GetBytes(json);
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }
}
