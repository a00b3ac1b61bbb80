using System.Buffers;
using System.Text;

namespace IpcContracts.Untyped;

/// <summary>What an untyped caller (<c>InvokeRawAsync</c>, <c>InvokeRawStream</c>, <c>ipc call</c>) reads a reply or a stream item as: JSON text.</summary>
internal static class RawText
{
    /// <summary>
    /// The payload's JSON text as the peer sent it (<c>null</c> for an empty payload); a binary payload becomes what
    /// <c>byte[]</c> is in JSON, a base64 string.
    /// </summary>
    public static string Of(in ReadOnlySequence<byte> payload, bool binary) =>
        binary ? System.Text.Json.JsonSerializer.Serialize(payload.ToArray(), Serialization.BuiltInJson.Default.ByteArray)
        : payload.IsEmpty ? "null"
        : Encoding.UTF8.GetString(payload);
}
