namespace IpcContracts.Benchmarks.FirstCall;

/// <summary>The server's handler: answers with the payload it got.</summary>
internal sealed class EchoService : IFirstCallEcho
{
    public Task<FirstCallPayload> EchoAsync(FirstCallPayload payload) => Task.FromResult(payload);
}
