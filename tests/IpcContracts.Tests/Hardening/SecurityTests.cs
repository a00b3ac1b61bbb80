using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
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

/// <summary>A theory that needs root (to act as another user with setpriv) on Linux; reported as skipped elsewhere.</summary>
public sealed class RootOnLinuxTheoryAttribute : TheoryAttribute
{
    public RootOnLinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Skip = "needs root on Linux with setpriv to act as another user";
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
            new IpcOptions { Tcp = { SharedSecret = secret }, SecurityEvent = events.Enqueue });
        var endpoint = server.Endpoint.ToString();

        await using (var good = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { Tcp = { SharedSecret = secret } }))
            Assert.Equal(42, await good.Proxy<ICalculator>().GetAnswerAsync());

        var wrong = await Assert.ThrowsAsync<IpcAuthenticationException>(() =>
            IpcClient.ConnectAsync(endpoint, options: new IpcOptions { Tcp = { SharedSecret = Encoding.UTF8.GetBytes("correct horse battery stapler") } }));
        Assert.DoesNotContain("secret is", wrong.Message); // refused, not told which part was wrong
        await Assert.ThrowsAnyAsync<IpcException>(() => IpcClient.ConnectAsync(endpoint)); // no secret at all

        await Eventually.TrueAsync(() => events.Count(e => e.Contains("shared-secret")) >= 1);
        await using var again = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { Tcp = { SharedSecret = secret } });
        Assert.Equal(42, await again.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task Tcp_with_a_shared_secret_holds_at_most_MaxConnections_unauthenticated_sockets_and_lets_an_honest_client_in_when_one_frees()
    {
        // Issue #11, defect 5: 300 sockets that never answer the challenge were all held, so anyone who could reach
        // the port ran the server out of descriptors without knowing the secret.
        const int cap = 4;
        var secret = Encoding.UTF8.GetBytes("only the honest know this");
        var events = new ConcurrentQueue<string>();
        await using var server = await IpcServer.StartAsync("tcp://127.0.0.1:0", b => b.Handle<ICalculator>(new Calculator()), new IpcOptions
        {
            Tcp = { SharedSecret = secret }, MaxConnections = cap, SecurityEvent = events.Enqueue,
            HandshakeTimeout = TimeSpan.FromMinutes(5), // so the silent sockets hold their slots for the whole test
        });
        var port = int.Parse(server.Endpoint.Address.Split(':')[^1]);
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 300; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                silent.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, port);
            }

            // A held socket receives the server's challenge and then waits for an answer that never comes; one over
            // the cap is closed at once, before any byte.
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var held = new List<Socket>();
            foreach (var socket in silent)
                if (await ReceivesChallengeAsync(socket, bound.Token)) held.Add(socket);

            Assert.Equal(cap, held.Count);
            Assert.Contains(events, e => e.Contains("still in their setup"));

            // Hanging up the held sockets frees their slots; an honest client then gets in.
            foreach (var socket in held) socket.Dispose();
            await Eventually.TrueAsync(() => events.Count(e => e.Contains("closed the connection during the shared-secret handshake")) >= cap);
            await using var honest = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: new IpcOptions { Tcp = { SharedSecret = secret } });
            Assert.Equal(42, await honest.Proxy<ICalculator>().GetAnswerAsync());
        }
        finally
        {
            foreach (var socket in silent) socket.Dispose();
        }
    }

    [Fact]
    public async Task A_raw_client_written_from_protocol_section_8_3_passes_the_shared_secret_prelude()
    {
        // docs/protocol.md 8.3, byte for byte: the key is the secret's bytes as given; "|" is plain concatenation.
        var secret = Encoding.UTF8.GetBytes("pässphrase");
        await using var server = await IpcServer.StartAsync("tcp://127.0.0.1:0", options: new IpcOptions { Tcp = { SharedSecret = secret } });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, int.Parse(server.Endpoint.Address.Split(':')[^1]));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var step1 = await ReceiveAsync(socket, 40, bound.Token);
        Assert.Equal("49-50-43-41-55-54-48-31", BitConverter.ToString(step1, 0, 8));
        var serverNonce = step1[8..];
        var clientNonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var clientMac = System.Security.Cryptography.HMACSHA256.HashData(secret, (byte[])[.. "client"u8, .. serverNonce, .. clientNonce]);
        await socket.SendAsync((byte[])[.. clientNonce, .. clientMac], SocketFlags.None);
        var step3 = await ReceiveAsync(socket, 32, bound.Token);

        Assert.Equal(System.Security.Cryptography.HMACSHA256.HashData(secret, (byte[])[.. "server"u8, .. clientNonce, .. serverNonce]), step3);
        Assert.Equal("IC"u8.ToArray(), await ReceiveAsync(socket, 2, bound.Token)); // then the server's Hello frame (section 4)
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0) Assert.Fail($"The server closed the connection after {read} of {count} bytes.");
            read += n;
        }
        return buffer;
    }

    /// <summary>True when the server sent its whole shared-secret challenge; false when it closed the socket first.</summary>
    private static async Task<bool> ReceivesChallengeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var challenge = new byte[8 + 32];
        var read = 0;
        while (read < challenge.Length)
        {
            int n;
            try { n = await socket.ReceiveAsync(challenge.AsMemory(read), SocketFlags.None, cancellationToken); }
            catch (SocketException) { return false; }
            if (n == 0) return false;
            read += n;
        }
        Assert.Equal("IPCAUTH1", Encoding.ASCII.GetString(challenge, 0, 8));
        return true;
    }

    [Fact]
    public async Task A_refused_connection_is_a_log_event_when_a_logger_is_configured()
    {
        var logs = new CollectingLoggerFactory();
        await using var server = await IpcServer.StartAsync("tcp://127.0.0.1:0", options: new IpcOptions
        {
            Tcp = { SharedSecret = Encoding.UTF8.GetBytes("right") }, LoggerFactory = logs,
        });

        await Assert.ThrowsAsync<IpcAuthenticationException>(() => IpcClient.ConnectAsync(server.Endpoint.ToString(),
            options: new IpcOptions { Tcp = { SharedSecret = Encoding.UTF8.GetBytes("wrong") } }));

        await Eventually.TrueAsync(() => logs.Entries.Any(e => e.Id.Id == 40 && e.Message.Contains("shared-secret")));
    }

    [Fact]
    public async Task Tcp_beyond_loopback_needs_both_the_opt_in_and_a_secret()
    {
        var noSecret = await Assert.ThrowsAsync<IpcConfigurationException>(() =>
            IpcServer.StartAsync("tcp://0.0.0.0:0", options: new IpcOptions { Tcp = { AllowNonLoopback = true } }));
        Assert.Contains("Tcp.SharedSecret", noSecret.Message);

        var secret = Encoding.UTF8.GetBytes("s3cret");
        await using var server = await IpcServer.StartAsync("tcp://0.0.0.0:0", b => b.Handle<ICalculator>(new Calculator()),
            new IpcOptions { Tcp = { AllowNonLoopback = true, SharedSecret = secret } });
        var port = server.Endpoint.Address.Split(':')[^1];
        await using var client = await IpcClient.ConnectAsync($"tcp://127.0.0.1:{port}", options: new IpcOptions { Tcp = { SharedSecret = secret } });
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

    /// <summary>
    /// Issue #11, defect 6: the per-user socket directory was trusted whenever it existed, so another user who
    /// created <c>ipccontracts-root</c> first (mode 0777) could delete the live server's socket. A server process
    /// whose directory (under its XDG_RUNTIME_DIR) is made by another user, writable by group or others, or a
    /// symbolic link refuses to start, naming the directory, what it found and what to do; a safe one is used.
    /// </summary>
    [RootOnLinuxTheory]
    [InlineData("nobody", "0777", "(owner user 65534, mode 0777): its owner is not this process's user (0); group or others may write")] // the attack: another user got there first
    [InlineData("nobody", "0700", "(owner user 65534, mode 0700): its owner is not this process's user (0).")]
    [InlineData("root", "0777", "(owner user 0, mode 0777): group or others may write")]
    [InlineData("root", "0770", "(owner user 0, mode 0770): group or others may write")]
    [InlineData("root", "1777", "(owner user 0, mode 1777): group or others may write")]            // sticky like /tmp: others still may create names in it
    [InlineData("nobody-symlink", "0700", "it is a symbolic link")] // a link another user can re-point after the check
    [InlineData("root", "0700", null)]
    [InlineData("root", "0755", null)]                   // readable by others is fine: the sockets in it are 0600
    public async Task A_server_refuses_a_socket_directory_that_another_user_made_or_can_write(string owner, string mode, string? refusal)
    {
        var root = Directory.CreateTempSubdirectory("ipc-sockdir-").FullName;
        try
        {
            File.SetUnixFileMode(root, (UnixFileMode)Convert.ToInt32("1777", 8)); // like /tmp: every user may create in it
            var directory = Path.Combine(root, $"ipccontracts-{Environment.UserName}");
            switch (owner)
            {
                case "root":
                    await RunAsync("mkdir", "-m", mode, directory);
                    break;
                case "nobody":
                    await RunAsync("setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "mkdir", "-m", mode, directory);
                    break;
                case "nobody-symlink":
                    var target = Path.Combine(root, "elsewhere");
                    await RunAsync("mkdir", "-m", mode, target); // root's own, 0700: only the link is another user's
                    await RunAsync("setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "ln", "-s", target, directory);
                    break;
            }

            HostProcess? host = null;
            InvalidOperationException? refused = null;
            try
            {
                host = await HostProcess.StartServerAsync("pipe://victim", environment: ("XDG_RUNTIME_DIR", root));
            }
            catch (InvalidOperationException e)
            {
                refused = e; // the host exited before listening; the message holds its output
            }
            await using var _ = host;

            if (refusal is null)
            {
                Assert.Null(refused);
                // Served: reach it by its full path (a NAME with a slash skips the directory lookup).
                await using var client = await IpcClient.ConnectAsync($"pipe://{directory}/victim.sock");
                Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
                return;
            }
            Assert.NotNull(refused);
            Assert.Contains(nameof(UnsafeSocketDirectoryException), refused.Message);
            Assert.Contains(directory, refused.Message);
            Assert.Contains(refusal, refused.Message);
            Assert.False(File.Exists(Path.Combine(directory, "victim.sock")));

            // A client refuses the directory too, instead of trusting a socket name anyone could have placed there.
            await using var client2 = HostProcess.StartClient("pipe://victim", "basic", environment: ("XDG_RUNTIME_DIR", root));
            Assert.NotEqual(0, await client2.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains(client2.Lines, l => l.Contains(nameof(UnsafeSocketDirectoryException)) && l.Contains(directory));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("pipe://named", true, "xdg/ipccontracts-{user}/named.sock")]
    [InlineData("pipe://named", false, "tmp/ipccontracts-{user}/named.sock")] // XDG_RUNTIME_DIR empty: $TMPDIR
    [InlineData("shm://named", true, "xdg/ipccontracts-{user}/named.shm.sock")]
    [InlineData("pipe://{root}/full/named", true, "full/named")]            // a NAME with '/' is the path; no .sock
    [InlineData("shm://{root}/full/named", true, "full/named.shm")]
    public async Task Socket_files_are_where_protocol_section_8_2_says(string endpoint, bool xdg, string expected)
    {
        var root = Directory.CreateTempSubdirectory("ipc-sockpath-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "xdg"));
            Directory.CreateDirectory(Path.Combine(root, "tmp"));
            await using var host = await HostProcess.StartServerAsync(endpoint.Replace("{root}", root), environment:
                [("XDG_RUNTIME_DIR", xdg ? Path.Combine(root, "xdg") : ""), ("TMPDIR", Path.Combine(root, "tmp"))]);

            var path = Path.Combine(root, expected.Replace("{user}", Environment.UserName));
            Assert.True(File.Exists(path), $"no socket at {path}; found: " +
                string.Join(", ", Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [RootOnLinuxFact]
    public async Task A_user_without_a_passwd_entry_gets_a_socket_directory_named_by_its_uid()
    {
        // Without a passwd entry the user name is empty, so every such user shared one "ipccontracts-" directory.
        const uint noEntry = 54321;
        Assert.DoesNotContain(File.ReadLines("/etc/passwd"), l => l.Split(':') is [_, _, var uid, ..] && uid == $"{noEntry}");
        var binary = (await AotHost.GetAsync()).BinaryPath;
        var root = Directory.CreateTempSubdirectory("ipc-sockdir-").FullName;
        try
        {
            File.SetUnixFileMode(root, (UnixFileMode)Convert.ToInt32("1777", 8));
            await using var host = await HostProcess.StartServerAsUserAsync(noEntry, binary, "pipe://named", ("XDG_RUNTIME_DIR", root));

            Assert.True(File.Exists(Path.Combine(root, $"ipccontracts-{noEntry}", "named.sock")),
                "found: " + string.Join(", ", Directory.GetFileSystemEntries(root)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task RunAsync(string command, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(command) { RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed: {error}");
    }

    private static (string Endpoint, string Path) WorldConnectablePipe()
    {
        var path = $"/tmp/ipc-peercred-{Guid.NewGuid():N}.sock";
        return ($"pipe://{path}", UnixSocketPipes.GetSocketPath(IpcEndpoint.Parse($"pipe://{path}")));
    }
}
