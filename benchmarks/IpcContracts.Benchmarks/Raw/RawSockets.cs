using System.Net;
using System.Net.Sockets;

namespace IpcContracts.Benchmarks.Raw;

/// <summary>Plain .NET sockets, used by both ends of the raw socket baselines.</summary>
internal static class RawSockets
{
    public static string UnixPath(string tag) => Path.Combine(Path.GetTempPath(), $"ipcbench-{tag}-{Environment.ProcessId}.sock");

    public static Socket ListenUnix(string path)
    {
        File.Delete(path);
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        s.Listen(16);
        return s;
    }

    public static Socket ListenTcp()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.Listen(16);
        return s;
    }

    public static Socket Connect(string kind, string address)
    {
        if (kind == "unix")
        {
            var u = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            u.Connect(new UnixDomainSocketEndPoint(address));
            return u;
        }
        var t = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        t.Connect(IPEndPoint.Parse(address));
        return t;
    }

    public static void ReceiveExactly(Socket s, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = s.Receive(buffer);
            if (n == 0) throw new EndOfStreamException("The peer closed the raw socket.");
            buffer = buffer[n..];
        }
    }

    public static async ValueTask ReceiveExactlyAsync(Socket s, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = await s.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException("The peer closed the raw socket.");
            buffer = buffer[n..];
        }
    }

    public static void SendAll(Socket s, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty) data = data[s.Send(data)..];
    }

    public static async ValueTask SendAllAsync(Socket s, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty) data = data[await s.SendAsync(data, SocketFlags.None).ConfigureAwait(false)..];
    }
}
