using System.Text.Json.Serialization;
using IpcContracts;

namespace IpcContracts.Benchmarks;

/// <summary>The contract every round-trip measurement calls: echo a payload of a given size.</summary>
[RequestContract("bench.echo")]
public interface IEcho
{
    Task<Payload> EchoAsync(Payload payload);
}

public sealed record Payload(string Data);

[JsonSerializable(typeof(Payload))]
internal sealed partial class BenchJson : JsonSerializerContext;

internal sealed class Echo : IEcho
{
    public Task<Payload> EchoAsync(Payload payload) => Task.FromResult(payload);
}
