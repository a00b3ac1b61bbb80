using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;
using IpcContracts.Transports.Pipe;

namespace IpcContracts.Tests.TransportOptions;

public sealed class TransportOptionTests
{
    [Fact]
    public async Task Tcp_refuses_a_non_loopback_address_unless_explicitly_allowed()
    {
        var e = await Assert.ThrowsAsync<IpcConfigurationException>(() => IpcServer.StartAsync("tcp://0.0.0.0:0"));
        Assert.Contains("Tcp.AllowNonLoopback", e.Message);

        var secret = new byte[] { 1, 2, 3 };
        await using var server = await IpcServer.StartAsync("tcp://0.0.0.0:0", b => b.Handle<ICalculator>(new Calculator()),
            new IpcOptions { Tcp = { AllowNonLoopback = true, SharedSecret = secret } });
        var port = server.Endpoint.Address.Split(':')[^1];
        await using var client = await IpcClient.ConnectAsync($"tcp://127.0.0.1:{port}", options: new IpcOptions { Tcp = { SharedSecret = secret } });
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task Tcp_port_zero_binds_a_free_port_and_reports_it()
    {
        await using var server = await IpcServer.StartAsync("tcp://127.0.0.1:0");

        Assert.Equal("tcp", server.Endpoint.Scheme);
        Assert.NotEqual(0, int.Parse(server.Endpoint.Address.Split(':')[^1]));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Pipe_socket_files_are_owner_only()
    {
        var endpoint = Endpoints.Pipe();
        await using var server = await IpcServer.StartAsync(endpoint);

        var mode = File.GetUnixFileMode(UnixSocketPipes.GetSocketPath(IpcEndpoint.Parse(endpoint)));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("tcp://127.0.0.1:99999")]
    [InlineData("carrier-pigeon://x")]
    public async Task Malformed_endpoints_are_clear_configuration_errors(string endpoint)
    {
        await Assert.ThrowsAsync<IpcConfigurationException>(() => IpcServer.StartAsync(endpoint));
    }

    [Fact]
    public async Task Waiting_for_a_server_that_never_comes_fails_with_NoServerListeningException_after_the_connect_timeout()
    {
        var options = new IpcOptions { WaitForServer = true, ConnectTimeout = TimeSpan.FromMilliseconds(300) };

        await Assert.ThrowsAsync<NoServerListeningException>(() => IpcClient.ConnectAsync(Endpoints.Pipe(), options: options));
        await Assert.ThrowsAsync<NoServerListeningException>(() => IpcClient.ConnectAsync(Endpoints.For("shm"), options: options));
    }
}
