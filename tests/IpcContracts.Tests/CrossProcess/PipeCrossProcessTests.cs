using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;
using IpcContracts.Transports.Pipe;

namespace IpcContracts.Tests.CrossProcess;

/// <summary>Two real processes over pipe:// (a Unix domain socket): the test process and the test host.</summary>
public sealed class PipeCrossProcessTests
{
    [Fact]
    public async Task Requests_a_callback_and_a_remote_exception_cross_the_process_boundary()
    {
        var endpoint = Endpoints.Pipe();
        await using var host = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint, b => b.Handle<IClientCallback>(new Pair.UpperCaser()));
        var calc = client.Proxy<ICalculator>();

        Assert.Equal(42, await calc.GetAnswerAsync());
        Assert.Equal(new Totals(10, "t"), await calc.SumAsync([1, 2, 3, 4], "t", false));
        Assert.Equal("server saw 'CROSS'", await calc.CallBackAsync("cross"));
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => calc.ThrowAsync("from the other process"));
        Assert.Equal("from the other process", e.RemoteMessage);
        Assert.NotEqual(Environment.ProcessId.ToString(), client.Connection.PeerName);
    }

    [Fact]
    public async Task Events_from_a_server_process_arrive_in_order()
    {
        var endpoint = Endpoints.Pipe();
        await using var host = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var collector = new InProcess.EventTests.TickCollector(1000);
        using var sub = client.Subscribe<ITicks>(collector);

        await client.Proxy<ICalculator>().PublishTicksAsync("host", 1000);

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(1, 1000), collector.Sequences);
    }

    [Fact]
    public async Task A_24_MB_request_and_a_24_MB_response_cross_byte_for_byte()
    {
        var endpoint = Endpoints.Pipe();
        await using var host = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var calc = client.Proxy<ICalculator>();
        var request = Patterns.Bytes(24 * 1024 * 1024, 11);

        Assert.Equal(request.Length, await calc.SizeOfAsync(request));
        var response = await calc.MakeBytesAsync(24 * 1024 * 1024, 12);

        Assert.True(Patterns.Bytes(24 * 1024 * 1024, 12).AsSpan().SequenceEqual(response));
    }

    [Fact]
    public async Task Killing_the_server_process_mid_call_fails_the_call_with_ChannelFaultedException()
    {
        var endpoint = Endpoints.Pipe();
        await using var host = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var call = client.Proxy<ICalculator>().DelayAsync(60_000, CancellationToken.None);
        await Task.Delay(100);

        host.Kill();

        // Not a timing threshold: the bound only turns a hang into a failure.
        await Assert.ThrowsAsync<ChannelFaultedException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(client.Connection.IsConnected);
    }

    [Fact]
    public async Task A_client_process_talks_to_a_server_in_this_process_and_is_called_back()
    {
        var endpoint = Endpoints.Pipe();
        IpcServer? server = null;
        server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())));
        await using var _ = server;

        foreach (var scenario in new[] { "basic", "events", "big" })
        {
            await using var host = HostProcess.StartClient(endpoint, scenario);
            var exit = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, $"{scenario}: {string.Join("\n", host.Lines)}");
            if (scenario == "basic")
            {
                Assert.Contains("OK callback server saw 'HELLO'", host.Lines);
                Assert.Contains("OK remote System.InvalidOperationException boom", host.Lines);
            }
        }
    }

    [Fact]
    public async Task Killing_the_client_process_mid_call_cancels_the_servers_handler_and_the_server_keeps_serving()
    {
        var endpoint = Endpoints.Pipe();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        Calculator.CancelledProbes.TryRemove("killed-client", out bool _);
        await using var host = HostProcess.StartClient(endpoint, "hang");
        await host.WaitForLineAsync("OK calling");
        await Eventually.TrueAsync(() => Calculator.StartedProbes.ContainsKey("killed-client"));

        host.Kill();

        await Eventually.TrueAsync(() => Calculator.CancelledProbes.ContainsKey("killed-client"));
        await Eventually.TrueAsync(() => server.Connections.Count == 0);
        await using var next = await IpcClient.ConnectAsync(endpoint);
        Assert.Equal(42, await next.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task Disposing_the_server_removes_its_socket_file_and_a_stale_file_is_replaced()
    {
        var endpoint = Endpoints.Pipe();
        var path = UnixSocketTransport.GetSocketPath(IpcEndpoint.Parse(endpoint));
        File.WriteAllText(path, "stale"); // left behind by a killed server

        var server = await IpcServer.StartAsync(endpoint);
        Assert.True(File.Exists(path));
        await server.DisposeAsync();

        Assert.False(File.Exists(path));
    }
}
