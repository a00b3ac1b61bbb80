using System.Diagnostics;

namespace IpcContracts.Benchmarks.Processes;

/// <summary>
/// A child process of the measuring process: this same program started in a child role (see
/// <see cref="ChildHost"/>). Commands time out instead of hanging; disposal asks the child to quit and
/// kills it if it does not exit promptly.
/// </summary>
internal sealed class Child : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private Child(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>What the child printed after READY: an endpoint, a socket path, a file.</summary>
    public string Address { get; }

    public static Child Start(params string[] args)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(Child).Assembly.Location);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Launch(info, args);
    }

    /// <summary>Our server in a child process at <paramref name="endpoint"/>, with the default shared-memory spin count.</summary>
    public static Child StartOurs(string endpoint) =>
        Start("child", "ours", endpoint, new IpcOptions().SharedMemory.SpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Another program that speaks the same protocol (prints READY, obeys <c>quit</c>), e.g. a first-call server.</summary>
    public static Child StartProgram(string path, params string[] args)
    {
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Launch(info, args);
    }

    private static Child Launch(ProcessStartInfo info, string[] args)
    {
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start a child process.");
        try
        {
            var line = ReadLine(process, s_timeout);
            if (!line.StartsWith("READY ", StringComparison.Ordinal))
                throw new InvalidOperationException($"Child '{string.Join(' ', args)}' did not start: {line}");
            return new Child(process, line[6..]);
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>Sends a command and returns the child's one-line answer.</summary>
    public string Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        return Expect(null);
    }

    /// <summary>Reads the next line; throws if it does not start with <paramref name="prefix"/>.</summary>
    public string Expect(string? prefix)
    {
        var line = ReadLine(_process, s_timeout);
        if (line.StartsWith("ERROR", StringComparison.Ordinal) || (prefix is not null && !line.StartsWith(prefix, StringComparison.Ordinal)))
            throw new InvalidOperationException($"Child answered '{line}'" + (prefix is null ? "" : $", expected '{prefix}'"));
        return line;
    }

    /// <summary>Sends a command whose traffic the measuring process drives: waits for GO, runs <paramref name="drive"/>, then waits for the answer.</summary>
    public string Drive(string command, Action drive)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        Expect("GO");
        drive();
        return Expect(null);
    }

    /// <summary>The child collects garbage and starts counting allocations and CPU time.</summary>
    public void Mark() => Send("mark");

    /// <summary>Work items and context switches of the child since its last <c>mark</c>.</summary>
    public HandoffCounters Counts()
    {
        var words = Send("counts").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words is not ["COUNTS", ..]) throw new InvalidOperationException($"Unexpected counts line '{string.Join(' ', words)}'.");
        return HandoffCounters.Decode(words[1..]);
    }

    /// <summary>The child's process ID.</summary>
    public int Pid => _process.Id;

    /// <summary>
    /// Minor page faults of the child so far (Linux: /proc/PID/stat, field 10), or -1 where there is no such file. A receiver
    /// that hands out a new 24 MiB array faults in 6,144 pages when its GC gives it memory the OS has taken back.
    /// </summary>
    public long MinorFaults() => MinorFaults(Pid);

    /// <summary>Minor page faults of process <paramref name="pid"/> so far (see the instance overload), or -1.</summary>
    public static long MinorFaults(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // After the command name in parentheses (which may hold spaces): state, ppid, pgrp, session, tty, tpgid, flags, minflt.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>How many methods the child's JIT has compiled so far.</summary>
    public long JitCount()
    {
        var line = Send("jit");
        return line.StartsWith("JIT ", StringComparison.Ordinal) ? long.Parse(line[4..]) : throw new InvalidOperationException($"Unexpected answer '{line}'.");
    }

    /// <summary>Collections of generations 0, 1 and 2 and the time paused for them in the child since its last <c>mark</c>.</summary>
    public (int Gen0, int Gen1, int Gen2, double PauseMicroseconds) Collections()
    {
        var words = Send("gc").Split(' ');
        if (words is not ["GC", var g0, var g1, var g2, var pause]) throw new InvalidOperationException($"Unexpected gc line '{string.Join(' ', words)}'.");
        return (int.Parse(g0), int.Parse(g1), int.Parse(g2), double.Parse(pause, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Bytes allocated and CPU time of the child since its last <c>mark</c>.</summary>
    public (long AllocatedBytes, double CpuMicroseconds) Stats()
    {
        var words = Send("stats").Split(' ');
        if (words is not ["STATS", var a, var c]) throw new InvalidOperationException($"Unexpected stats line '{string.Join(' ', words)}'.");
        return (long.Parse(a), double.Parse(c));
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.WriteLine("quit");
            _process.StandardInput.Flush();
        }
        catch (IOException) { }
        if (!_process.WaitForExit(5_000)) Kill(_process);
        _process.Dispose();
    }

    private static string ReadLine(Process process, TimeSpan timeout)
    {
        var read = process.StandardOutput.ReadLineAsync();
        if (!read.Wait(timeout))
        {
            Kill(process);
            throw new TimeoutException($"Child process {process.Id} did not answer within {timeout.TotalSeconds:0} s; killed.");
        }
        return read.Result ?? throw new InvalidOperationException($"Child process {process.Id} ended unexpectedly.");
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        process.WaitForExit(5_000);
    }
}
