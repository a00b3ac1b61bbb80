using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace IpcContracts.Runtime;

/// <summary>
/// The bytes of a <see cref="Stream"/> or <see cref="PipeReader"/> argument or result on the side that has them
/// (<see cref="ByteStreams.Chunks(Stream, CancellationToken)"/> and its overloads). Enumerable as chunks like any stream of
/// <c>ReadOnlyMemory&lt;byte&gt;</c>, and also readable straight into a destination, which is how the connection sends them
/// (<c>Connections/ByteChunkFrames</c>): each StreamItem frame's own buffer is read into, so the bytes are copied once on
/// their way to the transport (source to frame) instead of twice (source to a chunk buffer, chunk to frame), and a chunk
/// can be as large as the credit allows without a chunk buffer of that size.
/// </summary>
/// <remarks>
/// A sender calls <see cref="OpenAsync"/> once, then <see cref="ReadAsync"/> until it returns 0 or it stops, then
/// <see cref="CloseAsync"/> once, however it ended (which disposes or completes what the source owns, as the enumerator's
/// disposal does).
/// </remarks>
internal abstract class ByteChunkSource : IAsyncEnumerable<ReadOnlyMemory<byte>>
{
    public abstract IAsyncEnumerator<ReadOnlyMemory<byte>> GetAsyncEnumerator(CancellationToken cancellationToken = default);

    /// <summary>Starts reading for a sender whose own token is <paramref name="token"/> (a handler's result is awaited here).</summary>
    public abstract ValueTask OpenAsync(CancellationToken token);

    /// <summary>Reads at most <paramref name="destination"/>'s length (at least 1); 0 at the end.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> destination);

    /// <summary>Ends reading: a result is disposed (or completed), an argument left to its caller.</summary>
    public abstract ValueTask CloseAsync();

    /// <summary>
    /// After <see cref="OpenAsync"/>: the source when it is a <see cref="MemoryStream"/> (that type exactly, whose
    /// <c>CopyToAsync</c> writes its own array to the destination instead of copying it into a buffer; a derived type may
    /// read differently), so the sender can send slices of that array instead of copying them; null otherwise.
    /// </summary>
    public virtual MemoryStream? MemorySource => null;

    /// <summary>After <see cref="OpenAsync"/>: the token reads observe (see <see cref="Link"/>).</summary>
    public abstract CancellationToken ReadToken { get; }

    /// <summary>
    /// The token a read observes: the source's own (the caller's method token, or the handler's call token) and the
    /// sender's, as an enumerator given both would (<c>[EnumeratorCancellation]</c> links them).
    /// </summary>
    protected static CancellationToken Link(CancellationToken own, CancellationToken sender, ref CancellationTokenSource? linked)
    {
        if (!own.CanBeCanceled) return sender;
        if (!sender.CanBeCanceled || own == sender) return own;
        linked = CancellationTokenSource.CreateLinkedTokenSource(own, sender);
        return linked.Token;
    }

    public static ByteChunkSource FromStream(Stream stream, CancellationToken token) => new StreamSource(stream, null, dispose: false, token);

    public static ByteChunkSource FromResult(Task<Stream> result, CancellationToken token) => new StreamSource(null, result, dispose: true, token);

    public static ByteChunkSource FromPipe(PipeReader reader, CancellationToken token) => new PipeSource(reader, null, complete: false, token);

    public static ByteChunkSource FromResult(Task<PipeReader> result, CancellationToken token) => new PipeSource(null, result, complete: true, token);

    private sealed class StreamSource(Stream? stream, Task<Stream>? result, bool dispose, CancellationToken own) : ByteChunkSource
    {
        private Stream? _stream = stream;
        private CancellationTokenSource? _linked;
        private CancellationToken _token;

        public override IAsyncEnumerator<ReadOnlyMemory<byte>> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            (result is null ? ReadChunks(_stream!, dispose, own) : ResultChunks(result, own)).GetAsyncEnumerator(cancellationToken);

        public override async ValueTask OpenAsync(CancellationToken token)
        {
            _token = Link(own, token, ref _linked);
            if (result is not null) _stream = await AwaitResult(result).ConfigureAwait(false);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> destination) => _stream!.ReadAsync(destination, _token);

        public override MemoryStream? MemorySource => _stream is { } s && s.GetType() == typeof(MemoryStream) ? (MemoryStream)s : null;

        public override CancellationToken ReadToken => _token;

        public override async ValueTask CloseAsync()
        {
            _linked?.Dispose();
            if (dispose && _stream is not null) await _stream.DisposeAsync().ConfigureAwait(false);
        }

        private static async Task<Stream> AwaitResult(Task<Stream> result) =>
            await result.ConfigureAwait(false) ?? throw new InvalidOperationException("The handler returned a null Stream; return Stream.Null for no bytes.");

        private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ResultChunks(Task<Stream> result, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var stream = await AwaitResult(result).ConfigureAwait(false);
            await foreach (var chunk in ReadChunks(stream, dispose: true, cancellationToken).ConfigureAwait(false))
                yield return chunk;
        }

        private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunks(Stream stream, bool dispose, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ByteStreams.ChunkSize);
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(0, ByteStreams.ChunkSize), cancellationToken).ConfigureAwait(false);
                    if (read == 0) yield break;
                    yield return buffer.AsMemory(0, read); // valid until the next MoveNextAsync (see ByteStreams)
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                if (dispose) await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed class PipeSource(PipeReader? reader, Task<PipeReader>? result, bool complete, CancellationToken own) : ByteChunkSource
    {
        private PipeReader? _reader = reader;
        private CancellationTokenSource? _linked;
        private CancellationToken _token;
        private ReadOnlySequence<byte> _held; // what the last read returned and this source has not copied out yet
        private bool _holding;                // a read's buffer is held: AdvanceTo is owed
        private bool _final;                  // that read was the last (the writer completed, or the read was cancelled)

        public override IAsyncEnumerator<ReadOnlyMemory<byte>> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            (result is null ? ReadChunks(_reader!, complete, own) : ResultChunks(result, own)).GetAsyncEnumerator(cancellationToken);

        public override async ValueTask OpenAsync(CancellationToken token)
        {
            _token = Link(own, token, ref _linked);
            if (result is not null) _reader = await AwaitResult(result).ConfigureAwait(false);
        }

        public override CancellationToken ReadToken => _token;

        public override async ValueTask<int> ReadAsync(Memory<byte> destination)
        {
            var reader = _reader!;
            while (!_holding || _held.IsEmpty)
            {
                if (_holding)
                {
                    reader.AdvanceTo(_held.End);
                    _holding = false;
                }
                if (_final) return 0; // as the enumerator: a completed or cancelled read ends the bytes
                var read = await reader.ReadAsync(_token).ConfigureAwait(false);
                _held = read.Buffer;
                _holding = true;
                _final = read.IsCompleted || read.IsCanceled;
            }
            var n = (int)Math.Min(_held.Length, destination.Length);
            _held.Slice(0, n).CopyTo(destination.Span);
            _held = _held.Slice(n);
            return n;
        }

        public override async ValueTask CloseAsync()
        {
            _linked?.Dispose();
            if (_reader is not { } reader) return;
            if (_holding)
            {
                reader.AdvanceTo(_held.Start); // what was sent is consumed; a caller's reader keeps the rest
                _holding = false;
            }
            if (complete) await reader.CompleteAsync().ConfigureAwait(false);
        }

        private static async Task<PipeReader> AwaitResult(Task<PipeReader> result) =>
            await result.ConfigureAwait(false) ?? throw new InvalidOperationException("The handler returned a null PipeReader.");

        private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ResultChunks(Task<PipeReader> result, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var reader = await AwaitResult(result).ConfigureAwait(false);
            await foreach (var chunk in ReadChunks(reader, complete: true, cancellationToken).ConfigureAwait(false))
                yield return chunk;
        }

        private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunks(PipeReader reader, bool complete, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    // Each segment is yielded in place, at most ChunkSize at a time; AdvanceTo after the consumer has copied it.
                    foreach (var segment in buffer)
                    {
                        for (var offset = 0; offset < segment.Length; offset += ByteStreams.ChunkSize)
                            yield return segment.Slice(offset, Math.Min(ByteStreams.ChunkSize, segment.Length - offset));
                    }
                    reader.AdvanceTo(buffer.End);
                    if (result.IsCompleted || result.IsCanceled) yield break;
                }
            }
            finally
            {
                if (complete) await reader.CompleteAsync().ConfigureAwait(false);
            }
        }
    }
}
