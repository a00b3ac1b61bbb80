using BenchmarkDotNet.Attributes;
using IpcContracts.Benchmarks.Dispatch;

namespace IpcContracts.Benchmarks.Micro;

/// <summary>
/// Receiving side in one process: frame bytes in, handler called, reply frame out. Generated dispatch
/// (header, <c>switch</c>, source-generated JSON) against seed 000 (envelope, <c>Type.GetType</c>,
/// reflection JSON, <c>MethodInfo.Invoke</c> / <c>MakeGenericMethod</c>).
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private readonly BenchService _service = new();
    private SeedPath _seed = null!;
    private byte[] _generatedRequest = null!, _seedRequest = null!, _generatedEvent = null!, _seedEvent = null!;

    [Params(64, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = new string('x', Size);
        _seed = new SeedPath(_service);
        _generatedRequest = GeneratedPath.RequestFrame(data);
        _seedRequest = SeedPath.RequestFrame(data);
        _generatedEvent = GeneratedPath.EventFrame(data);
        _seedEvent = SeedPath.EventFrame(data);
    }

    [Benchmark]
    [BenchmarkCategory("request")]
    public int RequestGenerated()
    {
        var reply = GeneratedPath.DispatchRequest(_generatedRequest, _service);
        reply.Return();
        return reply.Length;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("request")]
    public int RequestSeedReflection() => _seed.DispatchRequest(_seedRequest).Length;

    [Benchmark]
    [BenchmarkCategory("event")]
    public void EventGenerated() => GeneratedPath.DispatchEvent(_generatedEvent, _service);

    [Benchmark]
    [BenchmarkCategory("event")]
    public void EventSeedReflection() => _seed.DispatchEvent(_seedEvent);
}
