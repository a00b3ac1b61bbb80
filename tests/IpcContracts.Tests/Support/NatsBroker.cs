using IpcContracts.Nats;

namespace IpcContracts.Tests.Support;

/// <summary>
/// The NATS server the tests use: its URL comes from IPC_NATS_URL (.ci/run starts nats-server and sets it). Without it the
/// broker tests are skipped, unless IPC_NATS_REQUIRED=1 (CI), where they run and fail with this message instead.
/// </summary>
internal static class NatsBroker
{
    public const string Variable = "IPC_NATS_URL";

    public static string? Url => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url ? url.TrimEnd('/') : null;

    public static bool Required => Environment.GetEnvironmentVariable("IPC_NATS_REQUIRED") == "1";

    /// <summary>An endpoint under a subject prefix of its own, so tests never see each other's traffic.</summary>
    public static string NewEndpoint()
    {
        var url = Url ?? throw new InvalidOperationException($"{Variable} is not set: start nats-server (see .ci/run) and set it, e.g. nats://127.0.0.1:4222.");
        NatsTransport.Register(); // what an application does once to opt the transport in
        return $"{url}/t{Guid.NewGuid():N}";
    }
}

/// <summary>A fact that needs a NATS server (<see cref="NatsBroker"/>); skipped with the reason when there is none.</summary>
public sealed class NatsFactAttribute : FactAttribute
{
    public NatsFactAttribute()
    {
        if (NatsBroker.Url is null && !NatsBroker.Required)
            Skip = $"needs a NATS server: set {NatsBroker.Variable} (e.g. nats://127.0.0.1:4222; .ci/run starts one)";
    }
}
