using BenchmarkDotNet.Attributes;
using IpcContracts.Benchmarks.Dispatch;
using IpcContracts.Protocol;

namespace IpcContracts.Benchmarks.Micro;

/// <summary>Frame header encode/decode and encoding a whole event frame (generated proxy) against the seed's envelope.</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private readonly byte[] _header = new byte[FrameHeader.Size];
    private readonly EncodeOnlyChannel _channel = new();
    private IBenchEvents _publisher = null!;
    private Payload _payload = null!;

    [Params(64, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _publisher = GeneratedPath.Events.CreateProxy(_channel);
        _payload = new Payload(new string('x', Size));
        new FrameHeader(FrameKind.Request, FrameFlags.None, 1, 2, 3, 4).Write(_header);
    }

    [Benchmark]
    public void HeaderWrite() => new FrameHeader(FrameKind.Request, FrameFlags.None, 0xFCFDC43F, 0x1A693A8D, 42, Size).Write(_header);

    [Benchmark]
    public int HeaderRead() => FrameHeader.Read(_header, int.MaxValue).PayloadLength;

    /// <summary>Generated proxy → argument writer → JSON in a pooled frame buffer → header.</summary>
    [Benchmark]
    public void EncodeEventGenerated() => _publisher.Tick(_payload);

    /// <summary>The seed's publisher: envelope with assembly-qualified name, JSON inside JSON, string, UTF-8, length prefix.</summary>
    [Benchmark(Baseline = true)]
    public byte[] EncodeEventSeed() => SeedPath.EncodeEvent(_payload);
}
