using System.Buffers;
using System.Runtime.CompilerServices;

namespace IpcContracts.Serialization;

/// <summary>
/// Decides, by the static type alone, whether a result or stream item travels raw (docs/protocol.md, "Binary payloads"):
/// <c>byte[]</c>, <see cref="ReadOnlyMemory{T}"/> and <see cref="ReadOnlySequence{T}"/> of bytes do; everything else is
/// JSON. Both peers compiled the same contract, so both see the same T; the Binary frame flag still says which form a
/// frame is in, so a reader accepts either (an older peer or an untyped caller sends JSON).
/// </summary>
internal static class BinaryPayload<T>
{
    // typeof(T) comparisons are folded by the JIT and by ILC per instantiation: no reflection, no cost for other types.
    public static readonly bool IsBinary =
        typeof(T) == typeof(byte[]) || typeof(T) == typeof(ReadOnlyMemory<byte>) || typeof(T) == typeof(ReadOnlySequence<byte>);

    /// <summary>The bytes of a binary value; false for a null <c>byte[]</c>, which travels as JSON null to stay null.</summary>
    public static bool TryGetBytes(T value, out ReadOnlySequence<byte> bytes)
    {
        if (typeof(T) == typeof(byte[]))
        {
            var array = Unsafe.As<T, byte[]?>(ref value);
            bytes = array is null ? default : new ReadOnlySequence<byte>(array);
            return array is not null;
        }
        if (typeof(T) == typeof(ReadOnlyMemory<byte>))
        {
            bytes = new ReadOnlySequence<byte>(Unsafe.As<T, ReadOnlyMemory<byte>>(ref value));
            return true;
        }
        if (typeof(T) == typeof(ReadOnlySequence<byte>))
        {
            bytes = Unsafe.As<T, ReadOnlySequence<byte>>(ref value);
            return true;
        }
        bytes = default;
        return false;
    }

    /// <summary>
    /// A binary value made from received bytes, in an array of its own: a copy, since the receive buffer goes back to the
    /// connection as soon as the frame has been handled and the value may live on; or, for a large frame read straight
    /// into an array of its own, that array (Connections/LargeFrame).
    /// </summary>
    public static T FromBytes(in ReadOnlySequence<byte> bytes)
    {
        var array = Connections.LargeFrame.TakeOrCopy(bytes);
        if (typeof(T) == typeof(byte[])) return Unsafe.As<byte[], T>(ref array);
        if (typeof(T) == typeof(ReadOnlyMemory<byte>))
        {
            var memory = new ReadOnlyMemory<byte>(array);
            return Unsafe.As<ReadOnlyMemory<byte>, T>(ref memory);
        }
        if (typeof(T) == typeof(ReadOnlySequence<byte>))
        {
            var sequence = new ReadOnlySequence<byte>(array);
            return Unsafe.As<ReadOnlySequence<byte>, T>(ref sequence);
        }
        throw new InvalidOperationException($"{typeof(T).Name} is not a binary payload type.");
    }
}
