using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using IpcContracts.Benchmarks.Processes;
using NATS.Client.Core;

namespace IpcContracts.Benchmarks.Raw;

/// <summary>
/// The raw NATS.Client.Core baseline for nats://: a child that answers request/reply on <c>P.echo</c> with the bytes it
/// got and counts the messages published to <c>P.events</c> (a request on <c>P.wait</c> with a count is answered once
/// that many have arrived), against the same broker as the nats:// series.
/// </summary>
internal static class RawNats
{
    public static string Subject(string prefix, string name) => $"{prefix}.{name}";

    /// <summary>Child role <c>raw-nats URL PREFIX</c>.</summary>
    public static int RunChild(string url, string prefix)
    {
        var nats = new NatsConnection(NatsOpts.Default with { Url = url });
        nats.ConnectAsync().AsTask().GetAwaiter().GetResult();
        long events = 0;
        var waiters = new List<(long Count, NatsMsg<byte[]> Msg)>();
        var serializer = NatsRawSerializer<byte[]>.Default;
        // Waiting channels, not the default drop-newest: the baseline must lose nothing either.
        var opts = new NatsSubOpts { ChannelOpts = new NatsSubChannelOpts { FullMode = BoundedChannelFullMode.Wait, Capacity = 65_536 } };
        var echo = Task.Run(async () =>
        {
            await foreach (var msg in nats.SubscribeAsync(Subject(prefix, "echo"), serializer: serializer, opts: opts).ConfigureAwait(false))
                await msg.ReplyAsync(msg.Data ?? [], serializer: serializer).ConfigureAwait(false);
        });
        var count = Task.Run(async () =>
        {
            await foreach (var msg in nats.SubscribeAsync(Subject(prefix, "events"), serializer: serializer, opts: opts).ConfigureAwait(false))
            {
                var n = Interlocked.Increment(ref events);
                List<NatsMsg<byte[]>>? due = null;
                lock (waiters)
                {
                    for (var i = waiters.Count - 1; i >= 0; i--)
                    {
                        if (waiters[i].Count > n) continue;
                        (due ??= []).Add(waiters[i].Msg);
                        waiters.RemoveAt(i);
                    }
                }
                if (due is not null) foreach (var w in due) await w.ReplyAsync(BitConverter.GetBytes(n), serializer: serializer).ConfigureAwait(false);
            }
        });
        var wait = Task.Run(async () =>
        {
            await foreach (var msg in nats.SubscribeAsync(Subject(prefix, "wait"), serializer: serializer).ConfigureAwait(false))
            {
                var expected = BitConverter.ToInt64(msg.Data);
                // The count is read under the lock the counting loop checks the waiters under: read outside it, the last
                // event could be counted (and the waiters checked) between the read and the Add, and this waiter would
                // never be answered (the requester's NatsNoReplyException after 5 minutes).
                long now;
                lock (waiters)
                {
                    now = Interlocked.Read(ref events);
                    if (now < expected) waiters.Add((expected, msg));
                }
                if (now >= expected) await msg.ReplyAsync(BitConverter.GetBytes(now), serializer: serializer).ConfigureAwait(false);
            }
        });
        nats.PingAsync().AsTask().GetAwaiter().GetResult(); // the subscriptions are at the broker
        try
        {
            return ChildHost.Run(url, _ => null);
        }
        finally
        {
            nats.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        }
    }
}

/// <summary>
/// The broker both nats:// series use: IPC_NATS_URL when set, else a private nats-server from PATH on a free loopback
/// port (stopped at the end of the step); null when there is neither.
/// </summary>
internal sealed class BenchBroker : IDisposable
{
    private readonly Process? _process;

    private BenchBroker(string url, Process? process)
    {
        Url = url;
        _process = process;
    }

    public string Url { get; }

    /// <summary>CPU time the private nats-server has used so far; null for a broker this process did not start (IPC_NATS_URL).</summary>
    public TimeSpan? ProcessorTime
    {
        get
        {
            if (_process is null) return null;
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static BenchBroker? Start()
    {
        if (Environment.GetEnvironmentVariable("IPC_NATS_URL") is { Length: > 0 } url) return new BenchBroker(url.TrimEnd('/'), null);
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Where(d => d.Length > 0)
            .Select(d => Path.Combine(d, "nats-server")).FirstOrDefault(File.Exists);
        if (binary is null) return null;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) }) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("Server is ready", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        ready.Task.Wait(TimeSpan.FromSeconds(15));
        return new BenchBroker($"nats://127.0.0.1:{port}", process);
    }

    public void Dispose()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(5_000);
        _process.Dispose();
    }
}
