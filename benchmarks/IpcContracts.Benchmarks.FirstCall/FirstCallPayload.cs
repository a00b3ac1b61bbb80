using System.Text.Json.Serialization;

namespace IpcContracts.Benchmarks.FirstCall;

/// <summary>The same shape as the seed-000 client's payload (SeedFirstCall), so both designs carry the same JSON.</summary>
public sealed record FirstCallPayload(string Data);

[JsonSerializable(typeof(FirstCallPayload))]
internal sealed partial class FirstCallJson : JsonSerializerContext;
