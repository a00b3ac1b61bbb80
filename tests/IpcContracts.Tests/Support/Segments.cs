using System.Buffers;

namespace IpcContracts.Tests.Support;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/>.</summary>
internal static class Segments
{
    /// <summary>The bytes cut at <paramref name="cuts"/> (offsets), one segment per piece, as a pipe hands them over.</summary>
    public static ReadOnlySequence<byte> Cut(byte[] bytes, params int[] cuts)
    {
        var bounds = cuts.Prepend(0).Append(bytes.Length).ToArray();
        return Of([.. Enumerable.Range(0, bounds.Length - 1).Select(i => (ReadOnlyMemory<byte>)bytes.AsMemory(bounds[i], bounds[i + 1] - bounds[i]))]);
    }

    public static ReadOnlySequence<byte> Of(params ReadOnlyMemory<byte>[] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1)) last = last.Append(part);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
