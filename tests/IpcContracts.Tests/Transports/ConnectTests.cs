using System.Net;
using System.Net.Sockets;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// Connecting where nothing listens (issue 18, point 4): it fails at once with <see cref="NoServerListeningException"/>
/// naming the endpoint as the caller wrote it, unless <see cref="IpcOptions.WaitForServer"/> asks to wait.
/// </summary>
public sealed class ConnectTests
{
    // Long enough that a connect which still waited for a server by default would hit the hang guard instead of failing.
    private static readonly TimeSpan Patient = TimeSpan.FromHours(1);
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    [InlineData("inproc")]
    public async Task Connecting_where_nothing_listens_fails_at_once_naming_the_endpoint(string transport)
    {
        using var reserved = transport == "tcp" ? ReservePort() : null;
        var endpoint = reserved is not null ? $"tcp://127.0.0.1:{Port(reserved)}" : Endpoints.For(transport);
        var options = new IpcOptions { ConnectTimeout = Patient, Reconnect = { Enabled = false } };

        var e = await Assert.ThrowsAsync<NoServerListeningException>(
            () => IpcClient.ConnectAsync(endpoint, options: options).WaitAsync(HangGuard));

        Assert.Equal(endpoint, e.Endpoint);
        Assert.Contains($"No server is listening on {endpoint}", e.Message);
        Assert.IsAssignableFrom<ChannelFaultedException>(e); // code that caught ChannelFaultedException keeps working
    }

    [Fact]
    public async Task Over_shm_the_error_never_names_the_internal_control_socket()
    {
        var endpoint = Endpoints.For("shm");

        var e = await Assert.ThrowsAsync<NoServerListeningException>(() => IpcClient.ConnectAsync(endpoint).WaitAsync(HangGuard));

        Assert.DoesNotContain("pipe://", e.ToString());
        Assert.DoesNotContain(".shm", e.Message);
    }

    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    [InlineData("inproc")]
    public async Task WaitForServer_connects_to_a_server_that_starts_later(string transport)
    {
        var reserved = transport == "tcp" ? ReservePort() : null;
        var endpoint = reserved is not null ? $"tcp://127.0.0.1:{Port(reserved)}" : Endpoints.For(transport);
        var options = new IpcOptions { WaitForServer = true, ConnectTimeout = TimeSpan.FromSeconds(60) };

        var connecting = IpcClient.ConnectAsync(endpoint, options: options);
        await Task.Delay(100);
        Assert.False(connecting.IsCompleted, "nothing listens yet, so the connect must still be waiting"); // it failed or connected otherwise
        reserved?.Dispose();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var client = await connecting.WaitAsync(HangGuard);

        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Theory]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task WaitForServer_gives_up_after_the_connect_timeout_naming_the_endpoint(string transport)
    {
        var endpoint = Endpoints.For(transport);
        var options = new IpcOptions { WaitForServer = true, ConnectTimeout = TimeSpan.FromMilliseconds(300) };

        var e = await Assert.ThrowsAsync<NoServerListeningException>(() => IpcClient.ConnectAsync(endpoint, options: options).WaitAsync(HangGuard));

        Assert.Equal(endpoint, e.Endpoint);
        Assert.Contains("IpcOptions.WaitForServer", e.Message);
    }

    [Fact]
    public async Task Cancelling_a_waiting_connect_ends_it_with_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        var options = new IpcOptions { WaitForServer = true, ConnectTimeout = Patient };

        var connecting = IpcClient.ConnectAsync(Endpoints.Pipe(), options: options, cancellationToken: cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(HangGuard));
    }

    /// <summary>A loopback port bound but not listening: connections to it are refused until the socket is disposed.</summary>
    private static Socket ReservePort()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static int Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;
}
