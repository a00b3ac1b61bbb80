using System.Collections.Concurrent;
using System.Text;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;
using IpcContracts.Transports.Pipe;

namespace IpcContracts.Tests.Hardening;

/// <summary>A fact that needs root (to run a peer as another user with setpriv) on Linux; reported as skipped elsewhere.</summary>
public sealed class RootOnLinuxFactAttribute : FactAttribute
{
    public RootOnLinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Skip = "needs root on Linux with setpriv to run a peer as another user";
    }
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecurityTests
{
    private const uint Nobody = 65534;

    [Fact]
    public async Task Tcp_with_a_shared_secret_accepts_the_right_secret_and_refuses_a_wrong_one_without_saying_why()
    {
        var secret = Encoding.UTF8.GetBytes("correct horse battery staple");
        var events = new ConcurrentQueue<string>();
        await using var server = await IpcServer.StartAsync("tcp://127.0.0.1:0", b => b.Handle<ICalculator>(new Calculator()),
            new IpcOptions { TcpSharedSecret = secret, SecurityEvent = events.Enqueue });
        var endpoint = server.Endpoint.ToString();

        await using (var good = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { TcpSharedSecret = secret }))
            Assert.Equal(42, await good.Proxy<ICalculator>().GetAnswerAsync());

        var wrong = await Assert.ThrowsAsync<IpcAuthenticationException>(() =>
            IpcClient.ConnectAsync(endpoint, options: new IpcOptions { TcpSharedSecret = Encoding.UTF8.GetBytes("correct horse battery stapler") }));
        Assert.DoesNotContain("secret is", wrong.Message); // refused, not told which part was wrong
        await Assert.ThrowsAnyAsync<IpcException>(() => IpcClient.ConnectAsync(endpoint)); // no secret at all

        await Eventually.TrueAsync(() => events.Count(e => e.Contains("shared-secret")) >= 1);
        await using var again = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { TcpSharedSecret = secret });
        Assert.Equal(42, await again.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task A_refused_connection_is_a_log_event_when_a_logger_is_configured()
    {
        var logs = new CollectingLoggerFactory();
        await using var server = await IpcServer.StartAsync("tcp://127.0.0.1:0", options: new IpcOptions
        {
            TcpSharedSecret = Encoding.UTF8.GetBytes("right"), LoggerFactory = logs,
        });

        await Assert.ThrowsAsync<IpcAuthenticationException>(() => IpcClient.ConnectAsync(server.Endpoint.ToString(),
            options: new IpcOptions { TcpSharedSecret = Encoding.UTF8.GetBytes("wrong") }));

        await Eventually.TrueAsync(() => logs.Entries.Any(e => e.Id.Id == 40 && e.Message.Contains("shared-secret")));
    }

    [Fact]
    public async Task Tcp_beyond_loopback_needs_both_the_opt_in_and_a_secret()
    {
        var noSecret = await Assert.ThrowsAsync<IpcConfigurationException>(() =>
            IpcServer.StartAsync("tcp://0.0.0.0:0", options: new IpcOptions { AllowNonLoopbackTcp = true }));
        Assert.Contains("TcpSharedSecret", noSecret.Message);

        var secret = Encoding.UTF8.GetBytes("s3cret");
        await using var server = await IpcServer.StartAsync("tcp://0.0.0.0:0", b => b.Handle<ICalculator>(new Calculator()),
            new IpcOptions { AllowNonLoopbackTcp = true, TcpSharedSecret = secret });
        var port = server.Endpoint.Address.Split(':')[^1];
        await using var client = await IpcClient.ConnectAsync($"tcp://127.0.0.1:{port}", options: new IpcOptions { TcpSharedSecret = secret });
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task Nothing_of_one_clients_calls_or_errors_reaches_another_client()
    {
        var endpoint = Endpoints.Pipe();
        IpcServer? server = null;
        server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())));
        await using var _ = server;
        await using var observer = await RawPeer.ConnectAsync(endpoint); // sees every byte sent to the second client
        await observer.SendAsync(RawPeer.Frame(IpcContracts.Protocol.FrameKind.Hello, json: RawPeer.Hello()));
        await using var victim = await IpcClient.ConnectAsync(endpoint);
        var calc = victim.Proxy<ICalculator>();

        await calc.EchoAsync("payload-of-the-first-client");
        await Assert.ThrowsAsync<RemoteInvocationException>(() => calc.ThrowAsync("exception-text-of-the-first-client"));
        await observer.SendAsync(RawPeer.Frame(IpcContracts.Protocol.FrameKind.Ping, correlation: 1));
        var seen = new List<string>();
        while (await observer.ReceiveAsync() is { } frame)
        {
            seen.Add(frame.Json);
            if (frame.Header.Kind == IpcContracts.Protocol.FrameKind.Pong) break;
        }

        Assert.DoesNotContain(seen, json => json.Contains("first-client"));
    }

    [RootOnLinuxFact]
    public async Task A_pipe_server_refuses_a_client_of_another_user_by_default()
    {
        var binary = (await AotHost.GetAsync()).BinaryPath;
        var events = new ConcurrentQueue<string>();
        var (endpoint, path) = WorldConnectablePipe();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()), new IpcOptions { SecurityEvent = events.Enqueue });
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110); // let the file permission through, so SO_PEERCRED is what decides

        await using var host = HostProcess.StartClientAsUser(Nobody, binary, endpoint, "basic", ("IPC_ALLOW_ANY_USER", "1"));
        var exit = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exit);
        Assert.Contains(events, e => e.Contains($"user {Nobody}"));
        Assert.Empty(server.Connections);
    }

    [RootOnLinuxFact]
    public async Task A_pipe_server_accepts_another_user_it_allows()
    {
        var binary = (await AotHost.GetAsync()).BinaryPath;
        var (endpoint, path) = WorldConnectablePipe();
        var options = new IpcOptions { AllowedPeerUserIds = new HashSet<uint> { Nobody } };
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()), options);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);

        await using var host = HostProcess.StartClientAsUser(Nobody, binary, endpoint, "basic", ("IPC_ALLOW_ANY_USER", "1"));
        var exit = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exit == 0, string.Join("\n", host.Lines));
        Assert.Contains("OK answer 42", host.Lines);
    }

    [RootOnLinuxFact]
    public async Task A_client_refuses_a_server_of_another_user_by_default()
    {
        var binary = (await AotHost.GetAsync()).BinaryPath;
        var (endpoint, path) = WorldConnectablePipe();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()),
            new IpcOptions { AllowAnyLocalUser = true });
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);

        await using var host = HostProcess.StartClientAsUser(Nobody, binary, endpoint, "basic");
        var exit = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exit);
        Assert.Contains(host.Lines, l => l.Contains(nameof(IpcAuthenticationException)) && l.Contains("user 0"));
    }

    private static (string Endpoint, string Path) WorldConnectablePipe()
    {
        var path = $"/tmp/ipc-peercred-{Guid.NewGuid():N}.sock";
        return ($"pipe://{path}", UnixSocketTransport.GetSocketPath(IpcEndpoint.Parse($"pipe://{path}")));
    }
}
