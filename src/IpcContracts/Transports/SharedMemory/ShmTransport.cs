using System.Buffers.Binary;
using System.Text;
using IpcContracts.Transports.Pipe;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// <c>shm://NAME</c>: frames travel through shared memory, one segment per connection with a
/// single-producer/single-consumer ring per direction. The control channel <c>pipe://NAME.shm</c> (a Unix domain socket,
/// or a Windows named pipe) does the rendezvous and peer check, and its end tells each side when the other is gone.
/// Linux and Windows; elsewhere listen and connect throw <see cref="PlatformNotSupportedException"/> naming <c>pipe://</c>.
/// What differs per OS (how the segment is named and mapped, how a side sleeps) is <see cref="ShmPlatform"/>'s.
/// </summary>
public sealed class ShmTransport : IIpcTransport
{
    private readonly ShmPlatform _platform;
    private readonly PipePlatform _pipes;

    /// <summary>Shared memory on this operating system.</summary>
    public ShmTransport() : this(ShmPlatform.Current, PipePlatform.Current) { }

    internal ShmTransport(ShmPlatform platform, PipePlatform pipes)
    {
        _platform = platform;
        _pipes = pipes;
    }

    /// <inheritdoc />
    public string Scheme => "shm";

    private static IpcEndpoint ControlEndpoint(IpcEndpoint endpoint) => new("pipe", endpoint.Address + ".shm");

    /// <inheritdoc />
    public async ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        _platform.ThrowIfUnsupported(endpoint);
        ValidateRingSize(options.SharedMemory.RingSize);
        _platform.BeforeListen();
        return await _pipes.ListenControlAsync(ControlEndpoint(endpoint), endpoint, options,
            (control, peer, ct) => RendezvousAsync(control, peer, options, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        _platform.ThrowIfUnsupported(endpoint);
        var (control, peer) = await _pipes.ConnectControlAsync(ControlEndpoint(endpoint), endpoint, options, cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            // Server -> client: [int32 ring size][int32 name length][name UTF-8].
            var header = new byte[8];
            await ReceiveExactlyAsync(control, header, timeout.Token).ConfigureAwait(false);
            var ringSize = BinaryPrimitives.ReadInt32LittleEndian(header);
            var nameLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            ValidateRingSize(ringSize);
            if (nameLength is <= 0 or > 4096) throw new IpcProtocolException(ProtocolError.BadPayload, "Bad shared-memory rendezvous message.");
            var nameBytes = new byte[nameLength];
            await ReceiveExactlyAsync(control, nameBytes, timeout.Token).ConfigureAwait(false);
            var segment = _platform.Open(Encoding.UTF8.GetString(nameBytes), ringSize);
            try
            {
                // Acknowledge: the server may now forget the name.
                await control.WriteAsync(new byte[] { 1 }, timeout.Token).ConfigureAwait(false);
            }
            catch
            {
                segment.Dispose();
                throw;
            }
            return new ShmConnection(segment, ringSize, isServer: false, control, options.SharedMemory.SpinCount, peer);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await control.DisposeAsync().ConfigureAwait(false);
            throw new ChannelFaultedException($"The shared-memory rendezvous with {endpoint} timed out.");
        }
        catch
        {
            await control.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void ValidateRingSize(int ringSize)
    {
        if (!SharedMemoryOptions.IsValidRingSize(ringSize))
            throw new IpcConfigurationException($"IpcOptions.SharedMemory.RingSize must be a power of two between 4 KiB and 1 GiB (got {ringSize}).");
    }

    private static async Task ReceiveExactlyAsync(Stream control, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var n = await control.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new ChannelFaultedException("The peer closed the shared-memory control connection during the rendezvous.");
            buffer = buffer[n..];
        }
    }

    private async Task<ITransportConnection> RendezvousAsync(Stream control, string peer, IpcOptions options, CancellationToken cancellationToken)
    {
        var ringSize = options.SharedMemory.RingSize;
        var segment = _platform.Create(ringSize);
        try
        {
            var nameBytes = Encoding.UTF8.GetBytes(segment.Name);
            var message = new byte[8 + nameBytes.Length];
            BinaryPrimitives.WriteInt32LittleEndian(message, ringSize);
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), nameBytes.Length);
            nameBytes.CopyTo(message, 8);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            await control.WriteAsync(message, timeout.Token).ConfigureAwait(false);
            var ack = new byte[1];
            await ReceiveExactlyAsync(control, ack, timeout.Token).ConfigureAwait(false);
            // Only now does the connection start watching the control channel (it would eat the ack).
            return new ShmConnection(segment, ringSize, isServer: true, control, options.SharedMemory.SpinCount, peer);
        }
        catch
        {
            segment.Dispose();
            throw;
        }
        finally
        {
            _platform.Unpublish(segment);
        }
    }
}
