using System.Diagnostics;

namespace Quickstart;

/// <summary>Starts this same program twice, as a server process and a client process, and relays their output.</summary>
internal static class Orchestrator
{
    public static async Task<int> RunAsync(QuickstartOptions options)
    {
        PrivateNatsServer? broker = null;
        if (options.Transport == "nats" && options.Endpoint.Length == 0)
        {
            if (PrivateNatsServer.FindBinary() is not { } binary)
            {
                Console.Error.WriteLine("quickstart: --transport nats needs nats-server on PATH: `sudo apt-get install nats-server` (Debian/Ubuntu) or a release from https://github.com/nats-io/nats-server/releases");
                return 1;
            }
            broker = await PrivateNatsServer.StartAsync(binary);
            options = options with { Endpoint = broker.Endpoint };
        }
        using var _ = broker;
        Console.WriteLine($"IpcContracts quickstart: transport {options.Transport}, endpoint {options.Endpoint}");
        using var server = Start("server", options.Endpoint);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Relay(server, "server", line =>
        {
            if (line.StartsWith("READY ", StringComparison.Ordinal)) { ready.TrySetResult(line[6..]); return false; }
            return true;
        });
        server.EnableRaisingEvents = true;
        server.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"the server process exited with code {server.ExitCode}"));

        string boundEndpoint;
        try
        {
            boundEndpoint = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"quickstart: the server did not start: {e.Message}");
            return 1;
        }

        using var client = Start("client", boundEndpoint);
        Relay(client, "client", _ => true);
        var clientExit = -1;
        try
        {
            await client.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            client.WaitForExit();
            clientExit = client.ExitCode;
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("quickstart: the client did not finish in 60 s");
            client.Kill(entireProcessTree: true);
        }

        server.StandardInput.WriteLine("quit");
        if (!server.WaitForExit(10_000)) server.Kill(entireProcessTree: true);
        server.WaitForExit();
        Console.WriteLine(clientExit == 0 ? "quickstart: OK" : $"quickstart: FAILED (client exit code {clientExit})");
        return clientExit == 0 ? 0 : 1;
    }

    private static Process Start(string role, string endpoint)
    {
        // Re-launch this program: the apphost or native binary directly, or the dll through `dotnet`.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path.");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quickstart.dll"));
        foreach (var a in new[] { "--role", role, "--endpoint", endpoint }) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start the {role} process.");
    }

    private static void Relay(Process process, string name, Func<string, bool> filter)
    {
        var prefix = $"[{name} {process.Id}]".PadRight(16);
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line && filter(line)) Console.WriteLine($"{prefix} {line}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"{prefix} {line}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }
}
