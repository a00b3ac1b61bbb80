using System.Diagnostics;
using IpcContracts.Diagnostics;
using IpcContracts.Hosting.Testing;

namespace IpcContracts.Hosting.Tests;

/// <summary>
/// One trace across two real processes: the test process starts a span and calls the test host (a Generic Host
/// running a hosted server); the host's handler reports the span it runs in.
/// </summary>
public sealed class CrossProcessTraceTests
{
    [Fact]
    public async Task A_call_continues_the_callers_trace_in_the_other_process()
    {
        using var spans = new SpanRecorder();
        await using var host = await TraceHostProcess.StartServerAsync(Endpoints.Pipe());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint);

        SpanInfo remote;
        Activity root;
        using (root = SpanRecorder.TestSource.StartActivity("test root")!)
        {
            remote = await client.Proxy<ITraceProbe>().WhereAmIAsync();
        }

        var clientSpan = await spans.WaitFor(a => a.TraceId == root.TraceId && a.Kind == ActivityKind.Client);
        Assert.NotEqual(Environment.ProcessId, remote.ProcessId);
        Assert.Equal(root.TraceId.ToHexString(), remote.TraceId);            // same trace in the other process
        Assert.Equal(clientSpan.SpanId.ToHexString(), remote.ParentSpanId);  // the server span is the client span's child
        Assert.Equal(root.SpanId, clientSpan.ParentSpanId);
        Assert.Equal("Server", remote.Kind);
        Assert.Equal("hosting.traceprobe/WhereAmIAsync", remote.Name);
        Assert.Equal(("hosting.traceprobe", "WhereAmIAsync"), (remote.RpcService, remote.RpcMethod));
        Assert.Equal("hosting.traceprobe/WhereAmIAsync", clientSpan.DisplayName);
        Assert.Equal(IpcDiagnostics.RpcSystem, clientSpan.GetTagItem("rpc.system"));
        Assert.Equal("unix", clientSpan.GetTagItem("network.transport"));
    }

    [Fact]
    public async Task An_event_published_by_a_handler_in_the_other_process_arrives_in_the_same_trace()
    {
        using var spans = new SpanRecorder();
        await using var host = await TraceHostProcess.StartServerAsync(Endpoints.Pipe());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint);
        var noted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = client.Subscribe<ITraceEvents>(new Listener(noted));

        Activity root;
        using (root = SpanRecorder.TestSource.StartActivity("test root")!)
        {
            await client.Proxy<ITraceProbe>().PublishAsync("hello");
        }
        Assert.Equal("hello", await noted.Task.WaitAsync(TimeSpan.FromSeconds(30)));

        // test root -> client span (here) -> server span (host) -> producer span (host) -> consumer span (here)
        var consumer = await spans.WaitFor(a => a.Kind == ActivityKind.Consumer && a.DisplayName == "hosting.traceevents/Noted" && a.TraceId == root.TraceId);
        var clientSpan = spans.InTrace(root.TraceId).Single(a => a.Kind == ActivityKind.Client);
        Assert.NotEqual(clientSpan.SpanId, consumer.ParentSpanId); // its parent is the producer span in the other process
        Assert.DoesNotContain(spans.InTrace(root.TraceId), a => a.SpanId == consumer.ParentSpanId);
        Assert.True(consumer.HasRemoteParent);
    }

    private sealed class Listener(TaskCompletionSource<string> noted) : ITraceEvents
    {
        public void Noted(string note) => noted.TrySetResult(note);
    }
}
