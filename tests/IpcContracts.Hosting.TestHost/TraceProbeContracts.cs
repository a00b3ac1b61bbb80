// Shared by the test host and the hosting tests (linked there), so both processes generate the same contracts.
using System.Diagnostics;
using System.Text.Json.Serialization;

namespace IpcContracts.Hosting.Testing;

/// <summary>Answers with what the handler sees of the current trace, in its own process.</summary>
[RequestContract("hosting.traceprobe")]
public interface ITraceProbe
{
    Task<SpanInfo> WhereAmIAsync();

    /// <summary>Publishes <see cref="ITraceEvents.Noted"/> to every subscribed client.</summary>
    Task PublishAsync(string note);
}

[EventContract("hosting.traceevents")]
public interface ITraceEvents
{
    void Noted(string note);
}

public sealed record SpanInfo(string TraceId, string SpanId, string ParentSpanId, string Kind, string Name, string? RpcService, string? RpcMethod,
    int ProcessId)
{
    public static SpanInfo Of(Activity? a) => a is null
        ? new SpanInfo("", "", "", "none", "", null, null, Environment.ProcessId)
        : new SpanInfo(a.TraceId.ToHexString(), a.SpanId.ToHexString(), a.ParentSpanId.ToHexString(), a.Kind.ToString(), a.DisplayName,
            a.GetTagItem("rpc.service") as string, a.GetTagItem("rpc.method") as string, Environment.ProcessId);
}

[JsonSerializable(typeof(SpanInfo))]
internal sealed partial class TraceProbeJson : JsonSerializerContext;

/// <summary>The handler, resolved from DI once per call.</summary>
public sealed class TraceProbe(ITraceEvents events) : ITraceProbe
{
    public Task<SpanInfo> WhereAmIAsync() => Task.FromResult(SpanInfo.Of(Activity.Current));

    public Task PublishAsync(string note)
    {
        events.Noted(note);
        return Task.CompletedTask;
    }
}
