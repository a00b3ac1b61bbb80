using System.Net;
using System.Net.Sockets;
using IpcContracts.Benchmarks.Processes;

namespace IpcContracts.Benchmarks.Raw;

/// <summary>
/// The child process of the raw baselines (<c>child raw unix|tcp|shm</c>): plain sockets or a plain
/// memory-mapped file, no IpcContracts code. Commands (the measuring process drives the traffic):
/// <c>echo-block SIZE COUNT</c> and <c>echo-async SIZE COUNT</c> (sockets: read SIZE bytes, write them back),
/// <c>echo SIZE COUNT</c> (shm, spinning), and <c>sink TOTAL</c> (read TOTAL bytes, then answer one byte).
/// </summary>
internal static class RawChild
{
    public static int Run(string kind) => kind switch
    {
        "unix" or "tcp" => RunSocket(kind),
        "shm" => RunShm(),
        _ => throw new ArgumentException($"Unknown raw transport '{kind}'."),
    };

    private static int RunSocket(string kind)
    {
        var path = kind == "unix" ? RawSockets.UnixPath("raw") : null;
        using var listener = path is null ? RawSockets.ListenTcp() : RawSockets.ListenUnix(path);
        var address = path ?? ((IPEndPoint)listener.LocalEndPoint!).ToString();
        Socket? peer = null;
        Socket Peer()
        {
            if (peer is not null) return peer;
            peer = listener.Accept();
            if (kind == "tcp") peer.NoDelay = true;
            return peer;
        }
        try
        {
            return ChildHost.Run(address, words =>
            {
                switch (words)
                {
                    case ["echo-block", var size, var count]:
                    {
                        var s = Peer();
                        var buffer = new byte[int.Parse(size)];
                        ChildHost.Go();
                        for (long i = 0, n = long.Parse(count); i < n; i++)
                        {
                            RawSockets.ReceiveExactly(s, buffer);
                            RawSockets.SendAll(s, buffer);
                        }
                        return "DONE";
                    }
                    case ["echo-async", var size, var count]:
                    {
                        var s = Peer();
                        var buffer = new byte[int.Parse(size)];
                        ChildHost.Go();
                        EchoAsync(s, buffer, long.Parse(count)).GetAwaiter().GetResult();
                        return "DONE";
                    }
                    case ["sink", var total]:
                    {
                        var s = Peer();
                        var buffer = new byte[64 * 1024];
                        ChildHost.Go();
                        for (var left = long.Parse(total); left > 0;)
                        {
                            var n = s.Receive(buffer.AsSpan(0, (int)Math.Min(buffer.Length, left)));
                            if (n == 0) throw new EndOfStreamException("The peer closed the raw socket.");
                            left -= n;
                        }
                        RawSockets.SendAll(s, [1]);
                        return "DONE";
                    }
                    default:
                        return null;
                }
            });
        }
        finally
        {
            peer?.Dispose();
            if (path is not null) File.Delete(path);
        }
    }

    private static async Task EchoAsync(Socket s, byte[] buffer, long count)
    {
        for (long i = 0; i < count; i++)
        {
            await RawSockets.ReceiveExactlyAsync(s, buffer).ConfigureAwait(false);
            await RawSockets.SendAllAsync(s, buffer).ConfigureAwait(false);
        }
    }

    private static int RunShm()
    {
        var path = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"ipcbench-raw-{Environment.ProcessId}-{Guid.NewGuid():N}");
        using var segment = RawShmSegment.Create(path);
        var inbound = segment.Ring(0);
        var outbound = segment.Ring(1);
        try
        {
            return ChildHost.Run(path, words =>
            {
                switch (words)
                {
                    case ["echo", var size, var count]:
                    {
                        var buffer = new byte[int.Parse(size)];
                        ChildHost.Go();
                        for (long i = 0, n = long.Parse(count); i < n; i++)
                        {
                            inbound.ReadExactly(buffer);
                            outbound.Write(buffer);
                        }
                        return "DONE";
                    }
                    case ["sink", var total]:
                    {
                        var buffer = new byte[64 * 1024];
                        ChildHost.Go();
                        for (var left = long.Parse(total); left > 0;)
                            left -= inbound.Read(buffer.AsSpan(0, (int)Math.Min(buffer.Length, left)));
                        outbound.Write([1]);
                        return "DONE";
                    }
                    default:
                        return null;
                }
            });
        }
        finally
        {
            File.Delete(path); // normally already unlinked by the measuring process once it has mapped the file
        }
    }
}
