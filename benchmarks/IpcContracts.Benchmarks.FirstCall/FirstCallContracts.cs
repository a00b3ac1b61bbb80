using IpcContracts;

namespace IpcContracts.Benchmarks.FirstCall;

/// <summary>The one request the first-call client makes: a 64-character string there and back.</summary>
[RequestContract("bench.firstcall")]
public interface IFirstCallEcho
{
    Task<FirstCallPayload> EchoAsync(FirstCallPayload payload);
}

/// <summary>One event, for counting instructions per event in the "events" loop mode (benchmarks/count-instructions.sh).</summary>
[EventContract("bench.firstcall.events")]
public interface IFirstCallEvents
{
    void Tick(FirstCallPayload payload);
}

/// <summary>One stream, for counting instructions per stream item in the "items" loop mode (benchmarks/count-instructions.sh).</summary>
[RequestContract("bench.firstcall.items")]
public interface IFirstCallItems
{
    IAsyncEnumerable<FirstCallPayload> ItemsAsync(int count);
}
