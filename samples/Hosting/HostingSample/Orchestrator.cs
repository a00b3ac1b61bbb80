using System.Collections.Concurrent;
using System.Diagnostics;

namespace HostingSample;

/// <summary>Starts this program twice, as the warehouse and the shop, relays their output and checks the trace.</summary>
internal static class Orchestrator
{
    public static async Task<int> RunAsync(string endpoint)
    {
        Console.WriteLine($"IpcContracts hosting sample: endpoint {endpoint}");
        var warehouseLines = new ConcurrentQueue<string>();
        var shopLines = new ConcurrentQueue<string>();
        using var warehouse = Start("warehouse", endpoint);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Relay(warehouse, "warehouse", warehouseLines, line => { if (line.StartsWith("READY ", StringComparison.Ordinal)) ready.TrySetResult(line[6..]); });
        string bound;
        try
        {
            bound = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("hosting sample: the warehouse did not start");
            warehouse.Kill(entireProcessTree: true);
            return 1;
        }

        using var shop = Start("shop", bound);
        Relay(shop, "shop", shopLines, _ => { });
        if (!shop.WaitForExit(60_000)) shop.Kill(entireProcessTree: true);
        shop.WaitForExit();
        warehouse.StandardInput.WriteLine("quit");
        if (!warehouse.WaitForExit(20_000)) warehouse.Kill(entireProcessTree: true);
        warehouse.WaitForExit();

        // The shop printed its checkout trace ID; the warehouse's console exporter must show spans of the same trace.
        var trace = shopLines.FirstOrDefault(l => l.StartsWith("TRACE ", StringComparison.Ordinal))?[6..];
        var inShop = trace is null ? 0 : shopLines.Count(l => l.Contains("Activity.TraceId:") && l.Contains(trace));
        var inWarehouse = trace is null ? 0 : warehouseLines.Count(l => l.Contains("Activity.TraceId:") && l.Contains(trace));
        var ok = shop.ExitCode == 0 && inShop > 0 && inWarehouse > 0;
        Console.WriteLine(ok
            ? $"hosting sample: OK, trace {trace} has {inShop} spans in the shop and {inWarehouse} in the warehouse"
            : $"hosting sample: FAILED (shop exit code {shop.ExitCode}, trace {trace ?? "none"}: {inShop} spans in the shop, {inWarehouse} in the warehouse)");
        return ok ? 0 : 1;
    }

    private static Process Start(string role, string endpoint)
    {
        // Re-launch this program: the apphost or native binary directly, or the dll through `dotnet`.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path.");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "HostingSample.dll"));
        foreach (var a in new[] { "--role", role, "--endpoint", endpoint }) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start the {role} process.");
    }

    private static void Relay(Process process, string name, ConcurrentQueue<string> lines, Action<string> onLine)
    {
        var prefix = $"[{name}]".PadRight(12);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lines.Enqueue(line);
            onLine(line);
            Console.WriteLine($"{prefix} {line}");
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"{prefix} {line}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }
}
