using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using IpcContracts.Analyzers.Tests.Infrastructure;

namespace IpcContracts.Analyzers.Tests;

/// <summary>
/// A new user's first solution, made the way README.md's Install and Native AOT sections say: the package packed into a
/// local feed, a solution of three projects made with <c>dotnet new</c> outside the repository (a contracts library, a
/// server and a client, each referencing only the IpcContracts package), built with zero warnings, published as Native
/// AOT with zero warnings, and the two native binaries talking over a pipe: a call, an event, a stream result and a
/// <c>Stream</c> argument (issue #13: streaming from the package, published as Native AOT).
/// </summary>
public sealed partial class PackageTests
{
    // Every diagnostic the SDK prints has this shape ("warning CS8602", "warning IL2026", "warning NU1603", "warning IPC0017").
    [GeneratedRegex(@"\bwarning [A-Z]{2,}\d+[^\r\n]*")]
    private static partial Regex AnyWarning();

    [GeneratedRegex(@"\b(warning|error) IL[23]\d{3}[^\r\n]*")]
    private static partial Regex TrimOrAotWarning();

    [Fact]
    [Trait("Category", "Aot")]
    public async Task A_fresh_solution_on_the_package_builds_without_warnings_publishes_native_and_talks_over_a_pipe()
    {
        string feed = Path.Combine(_root, "feed");
        string solution = Path.Combine(_root, "Shop");
        Directory.CreateDirectory(solution);

        var pack = await DotnetAsync(TestCompilation.RepoRoot, "pack", Path.Combine(TestCompilation.RepoRoot, "src", "IpcContracts", "IpcContracts.csproj"),
            "-c", TestCompilation.Configuration, "--no-build", "--no-restore", "-o", feed, "-p:PackageVersion=" + _version);
        Assert.True(pack.ExitCode == 0, pack.Output);

        // README "Install": the feed in a nuget.config next to the solution, added to the configured sources (no <clear/>).
        await File.WriteAllTextAsync(Path.Combine(solution, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="ipccontracts-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        // The projects as the SDK's own templates make them; nothing of this repository's build settings applies here.
        await Ok(solution, "new", "sln", "-n", "Shop", "--no-update-check");
        await Ok(solution, "new", "classlib", "-n", "Contracts", "-o", "Contracts", "--no-update-check");
        await Ok(solution, "new", "console", "-n", "Server", "-o", "Server", "--no-update-check");
        await Ok(solution, "new", "console", "-n", "Client", "-o", "Client", "--no-update-check");
        string sln = Directory.GetFiles(solution, "Shop.sln*").Single();
        await Ok(solution, "sln", sln, "add", "Contracts", "Server", "Client");
        await Ok(solution, "add", "Server", "reference", "Contracts");
        await Ok(solution, "add", "Client", "reference", "Contracts");
        foreach (var project in new[] { "Contracts", "Server", "Client" })
            await Ok(solution, "add", project, "package", "IpcContracts", "--version", _version);

        // README "Native AOT": the only lines a user adds. The package brings the generator and analyzers itself.
        AddProperty(Path.Combine(solution, "Contracts", "Contracts.csproj"), "<IsAotCompatible>true</IsAotCompatible>");
        AddProperty(Path.Combine(solution, "Server", "Server.csproj"), "<PublishAot>true</PublishAot>");
        AddProperty(Path.Combine(solution, "Client", "Client.csproj"), "<PublishAot>true</PublishAot>");
        foreach (var project in new[] { "Contracts", "Server", "Client" })
        {
            string csproj = await File.ReadAllTextAsync(Path.Combine(solution, project, project + ".csproj"));
            Assert.Contains($"""<PackageReference Include="IpcContracts" Version="{_version}" />""", csproj);
            Assert.DoesNotContain(TestCompilation.RepoRoot.TrimEnd('/'), csproj); // nothing points into the repository
        }

        File.Delete(Path.Combine(solution, "Contracts", "Class1.cs"));
        await File.WriteAllTextAsync(Path.Combine(solution, "Contracts", "ShopContracts.cs"), ContractsSource);
        await File.WriteAllTextAsync(Path.Combine(solution, "Server", "Program.cs"), ServerSource);
        await File.WriteAllTextAsync(Path.Combine(solution, "Client", "Program.cs"), ClientSource);

        var build = await DotnetAsync(solution, "build", sln);
        Assert.True(build.ExitCode == 0, build.Output);
        AssertNone(AnyWarning(), build.Output);
        Assert.Matches(new Regex(@"^\s*0 Warning\(s\)", RegexOptions.Multiline), build.Output);

        string[] binaries = new string[2];
        foreach (var (project, i) in new[] { ("Server", 0), ("Client", 1) })
        {
            string output = Path.Combine(_root, "publish", project);
            var publish = await DotnetAsync(TimeSpan.FromMinutes(15), solution, "publish", Path.Combine(project, project + ".csproj"),
                "-c", "Release", "-r", "linux-x64", "-o", output);
            Assert.True(publish.ExitCode == 0, publish.Output);
            AssertNone(TrimOrAotWarning(), publish.Output);
            AssertNone(AnyWarning(), publish.Output);
            binaries[i] = Path.Combine(output, project);
            Assert.True(File.Exists(binaries[i]), publish.Output);
            // A native binary, not an apphost that needs the runtime: no managed entry assembly next to it.
            Assert.False(File.Exists(binaries[i] + ".dll"));
        }

        string endpoint = $"pipe://fresh-{Guid.NewGuid():N}"[..24];
        using var server = NativeProcess.Start(binaries[0], endpoint);
        try
        {
            Assert.True(await server.WaitForLineAsync("READY", TimeSpan.FromMinutes(1)), server.Output);

            using var client = NativeProcess.Start(binaries[1], endpoint);
            Assert.True(await client.WaitForExitAsync(TimeSpan.FromMinutes(1)), "client did not exit within a minute:\n" + client.Output);
            Assert.True(client.ExitCode == 0, client.Output);
            Assert.Equal(new[] { "subscribed", "reply: order 1 A-1 x3", "event: order 1 A-1 x3", "history: H-1 H-2 H-3", "uploaded: 3145728 bytes", "client done" }, client.Lines);

            // The server ends by itself once the client has gone, and says how it went: the client disposed, a goodbye.
            Assert.True(await server.WaitForExitAsync(TimeSpan.FromMinutes(1)), "server did not exit within a minute:\n" + server.Output);
            Assert.True(server.ExitCode == 0, server.Output);
            Assert.Equal(new[] { "READY", "client left: ClosedByPeer" }, server.Lines);
        }
        finally
        {
            server.KillIfRunning();
        }
    }

    /// <summary>Fails with every matching line in full, so the message says which warnings there were.</summary>
    private static void AssertNone(Regex pattern, string output)
    {
        var found = pattern.Matches(output).Select(m => m.Value.Trim()).Distinct().ToArray();
        Assert.True(found.Length == 0, $"{found.Length} unexpected:\n{string.Join('\n', found)}");
    }

    private static async Task Ok(string workingDirectory, params string[] arguments)
    {
        var result = await DotnetAsync(workingDirectory, arguments);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    /// <summary>Puts a property into the first PropertyGroup of a project file, as a user edits the template's csproj.</summary>
    private static void AddProperty(string csproj, string property)
    {
        string text = File.ReadAllText(csproj);
        int end = text.IndexOf("</PropertyGroup>", StringComparison.Ordinal);
        Assert.True(end > 0, text);
        File.WriteAllText(csproj, text.Insert(end, "  " + property + Environment.NewLine + "  "));
    }

    private const string ContractsSource = """
        using System.Text.Json.Serialization;
        using IpcContracts;

        namespace Shop.Contracts;

        [RequestContract("shop.orders")]
        public interface IOrders
        {
            Task<OrderReceipt> PlaceAsync(Order order, CancellationToken ct = default);
            IAsyncEnumerable<OrderReceipt> HistoryAsync(int count, CancellationToken ct = default);   // README "Streams"
            Task<long> UploadAsync(string name, Stream content, CancellationToken ct = default);
        }

        [EventContract("shop.events")]
        public interface IShopEvents
        {
            void OrderPlaced(OrderReceipt receipt);
        }

        public sealed record Order(string Sku, int Quantity);
        public sealed record OrderReceipt(int Number, string Sku, int Quantity);

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(OrderReceipt))]
        internal sealed partial class ShopJson : JsonSerializerContext;
        """;

    private const string ServerSource = """
        using System.Runtime.CompilerServices;
        using IpcContracts;
        using Shop.Contracts;

        var left = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await IpcServer.StartAsync(args[0], s =>
        {
            var events = s.Publisher<IShopEvents>();
            s.Handle<IOrders>(new Orders(events));
        });
        server.ClientDisconnected += (_, reason) => left.TrySetResult(reason.Reason);
        Console.WriteLine("READY");

        // Bounded: a client that never comes or never leaves fails the server instead of hanging it.
        var reason = await left.Task.WaitAsync(TimeSpan.FromSeconds(50));
        Console.WriteLine($"client left: {reason}");

        sealed class Orders(IShopEvents events) : IOrders
        {
            private int _next;

            public Task<OrderReceipt> PlaceAsync(Order order, CancellationToken ct = default)
            {
                var receipt = new OrderReceipt(Interlocked.Increment(ref _next), order.Sku, order.Quantity);
                events.OrderPlaced(receipt); // to every subscriber, before the reply
                return Task.FromResult(receipt);
            }

            public async IAsyncEnumerable<OrderReceipt> HistoryAsync(int count, [EnumeratorCancellation] CancellationToken ct = default)
            {
                for (var i = 1; i <= count; i++)
                {
                    await Task.Yield();
                    yield return new OrderReceipt(i, "H-" + i, i);
                }
            }

            public async Task<long> UploadAsync(string name, Stream content, CancellationToken ct = default)
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0) total += read;
                return total;
            }
        }
        """;

    private const string ClientSource = """
        using IpcContracts;
        using Shop.Contracts;

        var listener = new Placed();
        await using (var client = await IpcClient.ConnectAsync(args[0]))
        {
            // Awaited: the server has the subscription before the order is placed, so the event cannot be missed.
            using var subscription = await client.SubscribeAsync<IShopEvents>(listener);
            Console.WriteLine("subscribed");
            var receipt = await client.Proxy<IOrders>().PlaceAsync(new Order("A-1", 3));
            Console.WriteLine($"reply: order {receipt.Number} {receipt.Sku} x{receipt.Quantity}");
            var placed = await listener.Received.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Console.WriteLine($"event: order {placed.Number} {placed.Sku} x{placed.Quantity}");
            var history = new List<string>();
            await foreach (var past in client.Proxy<IOrders>().HistoryAsync(3)) history.Add(past.Sku);
            Console.WriteLine($"history: {string.Join(' ', history)}");
            var uploaded = await client.Proxy<IOrders>().UploadAsync("catalog", new MemoryStream(new byte[3 << 20]));
            Console.WriteLine($"uploaded: {uploaded} bytes");
        }
        Console.WriteLine("client done");

        // ShopEventsListener is generated next to IShopEvents, in the contracts library.
        sealed class Placed : ShopEventsListener
        {
            public TaskCompletionSource<OrderReceipt> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public override void OrderPlaced(OrderReceipt receipt) => Received.TrySetResult(receipt);
        }
        """;

    /// <summary>A published binary run with its output collected line by line; every wait is bounded.</summary>
    private sealed class NativeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly StringBuilder _stderr = new();
        private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private (string Line, TaskCompletionSource Printed)? _awaited; // guarded by _lines

        private NativeProcess(Process process) => _process = process;

        public static NativeProcess Start(string binary, params string[] arguments)
        {
            var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            var process = new Process { StartInfo = start };
            var native = new NativeProcess(process);
            process.OutputDataReceived += (_, e) =>
            {
                lock (native._lines)
                {
                    if (e.Data is null)
                    {
                        native._stdoutClosed.TrySetResult();
                        return;
                    }
                    native._lines.Add(e.Data);
                    if (native._awaited is var (line, printed) && line == e.Data)
                        printed.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                    lock (native._stderr)
                        native._stderr.AppendLine(e.Data);
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return native;
        }

        public string[] Lines
        {
            get
            {
                lock (_lines)
                    return [.. _lines];
            }
        }

        public int ExitCode => _process.ExitCode;

        public string Output
        {
            get
            {
                lock (_stderr)
                    return $"stdout:\n{string.Join('\n', Lines)}\nstderr:\n{_stderr}";
            }
        }

        /// <summary>True once the line has been printed; false when the process ends or the time is up first.</summary>
        public async Task<bool> WaitForLineAsync(string line, TimeSpan timeout)
        {
            var printed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lines)
            {
                if (_lines.Contains(line))
                    return true;
                _awaited = (line, printed);
            }
            try
            {
                await Task.WhenAny(printed.Task, _stdoutClosed.Task).WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
            }
            return printed.Task.IsCompleted;
        }

        /// <summary>True when the process has exited and its output has been read to the end within the time.</summary>
        public async Task<bool> WaitForExitAsync(TimeSpan timeout)
        {
            try
            {
                await _process.WaitForExitAsync().WaitAsync(timeout);
                await _stdoutClosed.Task.WaitAsync(timeout);
                return true;
            }
            catch (TimeoutException)
            {
                KillIfRunning();
                return false;
            }
        }

        public void KillIfRunning()
        {
            try
            {
                if (!_process.HasExited)
                    _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill.
            }
        }

        public void Dispose()
        {
            KillIfRunning();
            _process.Dispose();
        }
    }
}
