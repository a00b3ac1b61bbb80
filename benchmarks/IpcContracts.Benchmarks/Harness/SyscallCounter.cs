using System.Diagnostics;
using System.Globalization;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// Counts the socket, wait and wake system calls of one process over a window with <c>perf stat</c> on the kernel's
/// syscall tracepoints (needs perf and the right to trace the process: root, or perf_event_paranoid ≤ 1). A send is
/// one <c>sendto</c>/<c>sendmsg</c>/<c>write</c>, a receive one <c>recvfrom</c>/<c>recvmsg</c>/<c>read</c>; <c>futex</c>
/// calls are thread waits and wakes, <c>epoll_wait</c> the socket engine's waits. Null when perf cannot count.
/// </summary>
internal sealed class SyscallCounter : IDisposable
{
    public static readonly string[] Calls = ["sendto", "sendmsg", "write", "writev", "recvfrom", "recvmsg", "read", "readv", "epoll_wait", "epoll_pwait", "futex", "sched_yield"];

    private readonly Process _perf;
    private readonly string _output;

    private SyscallCounter(Process perf, string output)
    {
        _perf = perf;
        _output = output;
    }

    public static SyscallCounter? Start(int pid)
    {
        var output = Path.Combine(Path.GetTempPath(), $"ipcbench-perf-{Environment.ProcessId}-{pid}-{Guid.NewGuid():N}.csv");
        var info = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        // IPCBENCH_PERF_RECORD=DIR: a CPU profile of each window instead of the counts (perf record -g, client-*.data and
        // server-*.data per window; run with DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0 so perf names
        // JIT-compiled frames).
        var record = Environment.GetEnvironmentVariable("IPCBENCH_PERF_RECORD");
        var argv = record is null
            ? new[] { "stat", "-x", ",", "-o", output, "-e", string.Join(',', Calls.Select(c => $"syscalls:sys_enter_{c}")), "-p", pid.ToString(CultureInfo.InvariantCulture) }
            : new[] { "record", "-F", "1999", "-g", "-o", Path.Combine(record, $"{(pid == Environment.ProcessId ? "client" : "server")}-{DateTime.UtcNow:HHmmss_fff}.data"), "-p", pid.ToString(CultureInfo.InvariantCulture) };
        foreach (var a in argv)
            info.ArgumentList.Add(a);
        try
        {
            var perf = Process.Start(info);
            if (perf is null) return null;
            Thread.Sleep(400); // perf attaches asynchronously; what the idle process does meanwhile is noise of a few calls
            if (perf.HasExited)
            {
                perf.Dispose();
                return null;
            }
            return new SyscallCounter(perf, output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no perf on PATH
        }
    }

    /// <summary>Stops counting (SIGINT, as perf expects) and returns the count per call name.</summary>
    public Dictionary<string, long> Stop()
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", $"-INT {_perf.Id}") { UseShellExecute = false }))
            kill?.WaitForExit(5000);
        _perf.WaitForExit(5000);
        var counts = new Dictionary<string, long>();
        if (!File.Exists(_output)) return counts;
        foreach (var line in File.ReadLines(_output))
        {
            var fields = line.Split(',');
            if (fields.Length < 3 || !fields[2].StartsWith("syscalls:sys_enter_", StringComparison.Ordinal)) continue;
            if (long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) counts[fields[2]["syscalls:sys_enter_".Length..]] = n;
        }
        File.Delete(_output);
        return counts;
    }

    public void Dispose()
    {
        if (!_perf.HasExited)
        {
            try { _perf.Kill(); } catch (InvalidOperationException) { }
        }
        _perf.Dispose();
    }
}
