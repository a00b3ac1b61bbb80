namespace IpcContracts.Benchmarks;

/// <summary>The handler of <see cref="IValueEcho"/>: the payload back, without a Task.</summary>
internal sealed class ValueEchoService : IValueEcho
{
    public ValueTask<Payload> EchoAsync(Payload payload) => new(payload);
}
