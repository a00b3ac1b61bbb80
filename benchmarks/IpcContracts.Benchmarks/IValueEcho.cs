using IpcContracts;

namespace IpcContracts.Benchmarks;

/// <summary>
/// The round trip of <see cref="IEcho.EchoAsync"/> as a ValueTask method: the generated proxy completes it from a pooled
/// source, and the handler returns a ValueTask, so neither side needs a Task (Micro/RoundTripBenchmarks).
/// </summary>
[RequestContract("bench.vecho")]
public interface IValueEcho
{
    ValueTask<Payload> EchoAsync(Payload payload);
}
