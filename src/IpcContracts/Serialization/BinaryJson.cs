using System.Buffers;
using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Serialization;

/// <summary>
/// JSON metadata for the three binary payload types, which generated code uses whatever the user's contexts say. A
/// top-level binary argument, result or stream item travels raw (docs/protocol.md, "Binary payloads"); the JSON form
/// (base64) is only for bytes written by an untyped caller or an older peer.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BinaryJson
{
    private static JsonTypeInfo<ReadOnlySequence<byte>>? s_sequence;

    /// <summary><c>byte[]</c> as base64.</summary>
    public static JsonTypeInfo<byte[]> ByteArray => BuiltInJson.Default.ByteArray;

    /// <summary><see cref="ReadOnlyMemory{T}"/> of bytes as base64.</summary>
    public static JsonTypeInfo<ReadOnlyMemory<byte>> ReadOnlyMemory => BuiltInJson.Default.ReadOnlyMemoryByte;

    /// <summary><see cref="ReadOnlySequence{T}"/> of bytes as base64 (System.Text.Json has no converter of its own for it).</summary>
    public static JsonTypeInfo<ReadOnlySequence<byte>> ReadOnlySequence =>
        s_sequence ??= JsonMetadataServices.CreateValueInfo<ReadOnlySequence<byte>>(BuiltInJson.Default.Options, new ByteSequenceJsonConverter());
}
