using IpcContracts;

namespace IpcContracts.Benchmarks.FirstCall;

/// <summary>The one request the first-call client makes: a 64-character string there and back.</summary>
[RequestContract("bench.firstcall")]
public interface IFirstCallEcho
{
    Task<FirstCallPayload> EchoAsync(FirstCallPayload payload);
}
