using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace IpcContracts.Benchmarks.Micro;

/// <summary>
/// Parsing a large JSON payload (a <see cref="Payload"/> holding one long string) as the receiver could hold it: in one
/// piece, in the 256 KiB pieces the socket transports read, or copied from those pieces into one pooled buffer first (what
/// the read loop does since session 21: <c>Connections/LargeFrame.cs</c>, <c>IpcConnection.ContiguousJsonMinimum</c>).
/// System.Text.Json reads a string that spans pieces by copying it into an array of its own first, a fresh one when it is
/// large; in a process whose collector has given that memory back, its pages are faulted in again on every parse
/// (docs/benchmarks.md, "Session 21"), which this steady loop shows only in part.
/// </summary>
[MemoryDiagnoser]
public class LargeJsonReadBenchmarks
{
    private const int PieceSize = 256 * 1024;
    private byte[] _json = null!;
    private ReadOnlySequence<byte> _pieces;

    [Params(1 << 20, 24 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _json = Encoding.UTF8.GetBytes("{\"Data\":\"" + new string('x', Size) + "\"}");
        _pieces = Pieces(_json, PieceSize);
        if (!_pieces.IsSingleSegment && Contiguous().Data.Length == Size && Segmented().Data.Length == Size && CopiedToPooled().Data.Length == Size) return;
        throw new InvalidOperationException("The readers disagree.");
    }

    [Benchmark(Baseline = true)]
    public Payload Contiguous() => JsonSerializer.Deserialize(_json, BenchJson.Default.Payload)!;

    [Benchmark]
    public Payload Segmented()
    {
        var reader = new Utf8JsonReader(_pieces);
        return JsonSerializer.Deserialize(ref reader, BenchJson.Default.Payload)!;
    }

    [Benchmark]
    public Payload CopiedToPooled()
    {
        var length = (int)_pieces.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _pieces.CopyTo(buffer);
            return JsonSerializer.Deserialize(buffer.AsSpan(0, length), BenchJson.Default.Payload)!;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadOnlySequence<byte> Pieces(byte[] data, int size)
    {
        Piece? first = null, last = null;
        for (var offset = 0; offset < data.Length; offset += size)
        {
            var piece = new Piece(data.AsMemory(offset, Math.Min(size, data.Length - offset)), offset);
            if (first is null) first = piece;
            else last!.Append(piece);
            last = piece;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Append(Piece next) => Next = next;
    }
}
