using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Net.Sockets;
using System.Text;
using IpcContracts.Transports.Pipe;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// <c>shm://NAME</c>: frames travel through shared memory, one segment per connection with a
/// single-producer/single-consumer ring per direction. .NET on Linux has no named maps or named wait
/// handles, so a Unix domain socket (<c>NAME.shm.sock</c>) does the rendezvous and tells each side
/// when the other is gone; the segment is a file under /dev/shm that is unlinked as soon as both
/// sides have mapped it.
/// </summary>
public sealed class ShmTransport : IIpcTransport
{
    private const string FilePrefix = "ipccontracts-";
    private static int s_counter;

    /// <inheritdoc />
    public string Scheme => "shm";

    /// <summary>Where segment files live while two processes rendezvous.</summary>
    internal static string SegmentDirectory => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    private static IpcEndpoint ControlEndpoint(IpcEndpoint endpoint) => new("pipe", endpoint.Address + ".shm");

    /// <inheritdoc />
    public async ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        ValidateRingSize(options.SharedMemory.RingSize);
        RemoveOrphanedSegments();
        var control = await new UnixSocketTransport().ListenSocketAsync(ControlEndpoint(endpoint), cancellationToken, reportAs: endpoint).ConfigureAwait(false);
        var controlPath = UnixSocketTransport.GetSocketPath(ControlEndpoint(endpoint));
        return new EstablishingListener(control, endpoint, options,
            (socket, ct) =>
            {
                PeerCredentials.Check(socket, options, "client");
                return RendezvousAsync(socket, endpoint, options, ct);
            },
            onDispose: () => UnixSocketTransport.DeleteSocketFile(controlPath));
    }

    /// <inheritdoc />
    public async ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var control = await new UnixSocketTransport().ConnectSocketAsync(ControlEndpoint(endpoint), options, cancellationToken, reportAs: endpoint).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            // Server -> client: [int32 ring size][int32 path length][path UTF-8].
            var header = new byte[8];
            await ReceiveExactlyAsync(control, header, timeout.Token).ConfigureAwait(false);
            var ringSize = BinaryPrimitives.ReadInt32LittleEndian(header);
            var pathLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            ValidateRingSize(ringSize);
            if (pathLength is <= 0 or > 4096) throw new IpcProtocolException(ProtocolError.BadPayload, "Bad shared-memory rendezvous message.");
            var pathBytes = new byte[pathLength];
            await ReceiveExactlyAsync(control, pathBytes, timeout.Token).ConfigureAwait(false);
            var path = Encoding.UTF8.GetString(pathBytes);
            if (!Path.GetFileName(path).StartsWith(FilePrefix, StringComparison.Ordinal))
                throw new IpcProtocolException(ProtocolError.BadPayload, $"The server named an unexpected segment file '{path}'.");
            var segment = Segment.Map(path, ringSize, isServer: false);
            try
            {
                // Acknowledge: the server may now unlink the file.
                await control.SendAsync(new byte[] { 1 }, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
            catch
            {
                segment.Dispose();
                throw;
            }
            return new ShmConnection(segment, ringSize, isServer: false, control, options.SharedMemory.SpinCount, endpoint.ToString());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            control.Dispose();
            throw new ChannelFaultedException($"The shared-memory rendezvous with {endpoint} timed out.");
        }
        catch
        {
            control.Dispose();
            throw;
        }
    }

    private static void ValidateRingSize(int ringSize)
    {
        if (!SharedMemoryOptions.IsValidRingSize(ringSize))
            throw new IpcConfigurationException($"IpcOptions.SharedMemory.RingSize must be a power of two between 4 KiB and 1 GiB (got {ringSize}).");
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new ChannelFaultedException("The peer closed the shared-memory control connection during the rendezvous.");
            buffer = buffer[n..];
        }
    }

    /// <summary>Deletes segment files of ours whose creating process no longer exists (left by a kill -9).</summary>
    internal static int RemoveOrphanedSegments()
    {
        var removed = 0;
        var mine = $"{FilePrefix}{Environment.UserName}-";
        try
        {
            foreach (var file in Directory.EnumerateFiles(SegmentDirectory, mine + "*"))
            {
                var rest = Path.GetFileName(file)[mine.Length..];
                var dash = rest.IndexOf('-');
                if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), out var pid) || ProcessIsAlive(pid)) continue;
                try
                {
                    File.Delete(file);
                    removed++;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        catch (DirectoryNotFoundException) { }
        return removed;
    }

    private static bool ProcessIsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<ITransportConnection> RendezvousAsync(Socket socket, IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var ringSize = options.SharedMemory.RingSize;
        var path = Path.Combine(SegmentDirectory,
            $"{FilePrefix}{Environment.UserName}-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}-{Guid.NewGuid():N}");
        var size = SegmentLayout.SegmentSize(ringSize);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // owner-only
        using (var file = new FileStream(path, fileOptions))
        {
            file.SetLength(size);
        }
        Segment? segment = null;
        try
        {
            segment = Segment.Map(path, ringSize, isServer: true);
            var pathBytes = Encoding.UTF8.GetBytes(path);
            var message = new byte[8 + pathBytes.Length];
            BinaryPrimitives.WriteInt32LittleEndian(message, ringSize);
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), pathBytes.Length);
            pathBytes.CopyTo(message, 8);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            await socket.SendAsync(message, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var ack = new byte[1];
            await ReceiveExactlyAsync(socket, ack, timeout.Token).ConfigureAwait(false);
            // Only now does the connection start watching the control socket (it would eat the ack).
            return new ShmConnection(segment, ringSize, isServer: true, socket, options.SharedMemory.SpinCount, $"{endpoint} (client)");
        }
        catch
        {
            segment?.Dispose();
            throw;
        }
        finally
        {
            // Both sides have it mapped (or the rendezvous failed): the name is no longer needed.
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
