using IpcContracts.Diagnostics;
using IpcContracts.TestContracts;
using I = IpcContracts.Diagnostics.IpcDiagnostics.Instruments;

namespace IpcContracts.Hosting.Tests;

/// <summary>The IpcContracts meter, observed with a MeterListener around real calls (in-process transport).</summary>
[Collection(TelemetryCollection.Name)]
public sealed class MetricsTests
{
    [Fact]
    public async Task Calls_durations_errors_in_flight_bytes_and_connections_are_recorded()
    {
        using var metrics = new MetricRecorder();
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<ICalculator>(new Calculator()));
        var client = await IpcClient.ConnectAsync(endpoint);
        var calculator = client.Proxy<ICalculator>();

        Assert.Equal(5, await calculator.AddAsync(2, 3));
        await Assert.ThrowsAsync<RemoteInvocationException>(() => calculator.ThrowAsync("boom"));
        var serverSide = server.Connections.Single();
        await client.DisposeAsync();
        await serverSide.Completion;

        bool Is(MetricRecorder.Measurement m, string method, string? side = null) =>
            m.Tag("rpc.service") == "test.calculator" && m.Tag("rpc.method") == method && m.Tag("rpc.system") == IpcDiagnostics.RpcSystem
            && (side is null || m.Tag("ipccontracts.side") == side);

        // One completed call per side and method.
        foreach (var side in new[] { "client", "server" })
        {
            Assert.Single(metrics.Of(I.Calls), m => Is(m, "AddAsync", side) && m.Tag("error.type") is null);
            Assert.Single(metrics.Of(I.Calls), m => Is(m, "ThrowAsync", side) && m.Tag("error.type") is not null);
            Assert.Single(metrics.Of(I.CallErrors), m => Is(m, "ThrowAsync", side));
            Assert.DoesNotContain(metrics.Of(I.CallErrors), m => Is(m, "AddAsync", side));
            // In flight: +1 then -1.
            var active = metrics.Of(I.ActiveCalls).Where(m => Is(m, "AddAsync", side)).Select(m => m.Value).ToArray();
            Assert.Equal([1.0, -1.0], active);
        }
        Assert.Equal("IpcContracts.RemoteInvocationException", metrics.Of(I.CallErrors).Single(m => Is(m, "ThrowAsync", "client")).Tag("error.type"));
        Assert.Equal("System.InvalidOperationException", metrics.Of(I.CallErrors).Single(m => Is(m, "ThrowAsync", "server")).Tag("error.type"));

        // Durations: one histogram value per call and side, in seconds.
        Assert.Single(metrics.Of(I.ClientCallDuration), m => Is(m, "AddAsync") && m.Value >= 0);
        Assert.Single(metrics.Of(I.ServerCallDuration), m => Is(m, "AddAsync") && m.Value >= 0);
        Assert.Single(metrics.Of(I.ClientCallDuration), m => Is(m, "ThrowAsync") && m.Tag("error.type") is not null);

        // Bytes: at least both Hellos, two requests and two replies went each way (header is 32 bytes).
        Assert.True(metrics.Of(I.BytesSent).Sum(m => m.Value) >= 6 * 32);
        Assert.True(metrics.Of(I.BytesReceived).Sum(m => m.Value) >= 6 * 32);

        // Connections: both ends of the one connection opened and closed.
        var connections = metrics.Of(I.Connections).Select(m => m.Value).ToArray();
        Assert.Equal(2, connections.Count(v => v == 1));
        Assert.Equal(2, connections.Count(v => v == -1));
    }

    [Fact]
    public async Task Events_are_counted_once_per_publish_and_once_per_receipt()
    {
        using var metrics = new MetricRecorder();
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = client.Subscribe<ITicks>(new Ticks(received));
        await client.Connection.PingAsync(); // the Subscribe frame is ahead of the Pong: the server knows the subscriber now

        server.Publisher<ITicks>().Tick(new Tick(1, "m"));
        await received.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var events = metrics.Of(I.Events).Where(m => m.Tag("rpc.service") == "test.ticks" && m.Tag("rpc.method") == "Tick").ToArray();
        Assert.Single(events, m => m.Tag("ipccontracts.side") == "publish");
        Assert.Single(events, m => m.Tag("ipccontracts.side") == "receive");
    }

    private sealed class Ticks(TaskCompletionSource received) : ITicks
    {
        public void Tick(Tick tick) => received.TrySetResult();
        public Task Reset(string reason) => Task.CompletedTask;
    }
}
