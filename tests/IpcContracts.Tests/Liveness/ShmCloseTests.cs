using System.IO.Pipelines;
using System.Net.Sockets;
using IpcContracts.Transports.Pipe;
using IpcContracts.Transports.SharedMemory;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// Issue #11, defect 8, second half: on shared memory the last bytes a producer writes before it closes its ring
/// (a reply, a Goodbye) reach the reader, followed by the end of the stream. Built in-process from the transport's
/// own parts: one mapped segment file, a <see cref="ShmConnection"/> per side over a connected control socket pair.
/// </summary>
/// <remarks>
/// The defect itself was an interleaving: the reader read the ring's unread count (0), the producer then published
/// its last bytes and closed, and the reader read "closed" and ended the stream without them. That window lies
/// between two adjacent loads of shared memory inside <c>ShmPipeReader.Pull</c>; it cannot be forced from a test
/// without a seam in that loop, so these tests check the behaviour around it rather than reproduce the race.
/// </remarks>
public sealed class ShmCloseTests
{
    internal const int RingSize = 64 * 1024;

    /// <summary>The producer closes its ring (the segment stays mapped, the control socket open): all bytes, then the end.</summary>
    [Fact]
    public async Task Bytes_written_just_before_the_ring_closes_are_read_then_the_stream_ends()
    {
        await using var pair = await ShmPair.CreateAsync();
        var producer = pair.ClientRing(0); // ring 0 carries client-to-server bytes
        var last = Bytes(1000, 7);

        Assert.Equal(last.Length, producer.TryWrite(last));
        producer.Close();

        Assert.Equal(last, await ReadToEndAsync(pair.Server.Input));
    }

    /// <summary>A payload four times the ring, streamed by a producer thread that closes right after its last byte.</summary>
    [Fact]
    public async Task A_payload_larger_than_the_ring_written_just_before_close_is_read_whole()
    {
        await using var pair = await ShmPair.CreateAsync();
        var producer = pair.ClientRing(0);
        var payload = Bytes(4 * RingSize + 123, 3);

        var reading = ReadToEndAsync(pair.Server.Input);
        var writing = Task.Factory.StartNew(() =>
        {
            Assert.True(producer.Write(payload, () => false));
            producer.Close();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await writing.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(payload, await reading);
    }

    /// <summary>
    /// The way a connection really ends: the last frame goes through the client's PipeWriter, then the client
    /// disposes its connection (ring closed, control socket closed, so the server also sees the peer go). The
    /// server reads the frame, then the end.
    /// </summary>
    [Fact]
    public async Task The_last_frame_before_the_peer_disposes_its_connection_is_read_then_the_stream_ends()
    {
        await using var pair = await ShmPair.CreateAsync();
        var goodbye = Bytes(24, 9);

        var flush = pair.Client.Output.WriteAsync(goodbye);
        Assert.True(flush.IsCompletedSuccessfully); // fits in the ring: written at once
        await pair.Client.DisposeAsync();

        Assert.Equal(goodbye, await ReadToEndAsync(pair.Server.Input));
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)(i * 31 + seed);
        return bytes;
    }

    /// <summary>Reads until the end of the stream on a thread of its own (shm reads block); bounded so a lost end fails the test.</summary>
    private static Task<byte[]> ReadToEndAsync(PipeReader reader) =>
        Task.Factory.StartNew(() =>
        {
            var received = new List<byte>();
            while (true)
            {
                var result = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                foreach (var segment in result.Buffer) received.AddRange(segment.Span);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) return received.ToArray();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Both ends of one shm connection in this process.</summary>
    internal sealed class ShmPair : IAsyncDisposable
    {
        private readonly string _path;
        private readonly Segment _clientSegment;
        private readonly List<SpscRing> _rings = [];

        private ShmPair(string path, ShmConnection server, ShmConnection client, Segment clientSegment)
        {
            _path = path;
            Server = server;
            Client = client;
            _clientSegment = clientSegment;
        }

        public ShmConnection Server { get; }
        public ShmConnection Client { get; }

        /// <summary>A ring of the client's mapping, to write to directly as the producer.</summary>
        public SpscRing ClientRing(int ring)
        {
            var r = new SpscRing(_clientSegment, ring, RingSize, spinCount: 100);
            _rings.Add(r);
            return r;
        }

        public static async Task<ShmPair> CreateAsync()
        {
            var path = Path.Combine(LinuxShm.SegmentDirectory, $"ipccontracts-test-{Guid.NewGuid():N}");
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
                file.SetLength(SegmentLayout.SegmentSize(RingSize));
            var serverSegment = LinuxShm.MapFile(path, RingSize, isServer: true);
            var clientSegment = LinuxShm.MapFile(path, RingSize, isServer: false);

            var socketPath = Path.Combine(Path.GetTempPath(), $"ipccontracts-test-{Guid.NewGuid():N}.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(1);
            var clientSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var accepting = listener.AcceptAsync();
            await clientSocket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
            var serverSocket = await accepting.WaitAsync(TimeSpan.FromSeconds(30));
            File.Delete(socketPath);

            return new ShmPair(path,
                new ShmConnection(serverSegment, RingSize, isServer: true, new ControlSocketStream(serverSocket), spinCount: 100, "test server"),
                new ShmConnection(clientSegment, RingSize, isServer: false, new ControlSocketStream(clientSocket), spinCount: 100, "test client"),
                clientSegment);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            File.Delete(_path);
        }
    }
}
