using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using IpcContracts.Connections;
using IpcContracts.Diagnostics;
using IpcContracts.Protocol;

namespace IpcContracts;

public sealed partial class IpcConnection
{
    /// <summary>Upper bound of a Hello frame's payload, whatever the configured payload limit.</summary>
    internal const int MaxHelloLength = 4 * 1024 * 1024;

    [ThreadStatic] private static bool t_handlingFrames;
    [ThreadStatic] private static IpcConnection? t_deferringFor; // the connection whose read loop runs on this thread now

    /// <summary>
    /// True on a thread while it handles frames a connection read: handlers' synchronous parts, inline event delivery and
    /// continuations run inline there. Code that would block until a frame arrives must not run on it: only this thread
    /// could deliver that frame.
    /// </summary>
    internal static bool IsHandlingFrames => t_handlingFrames;

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        Exception reason;
        try
        {
            while (true)
            {
                // Before any wait for bytes (the large-frame and peeked-chunk paths come back here too).
                WakeConsumersAfterRead();
                // The last read ended with a whole chunk of a Stream and left nothing in the pipe: the next frame may be the
                // next chunk, waiting in the transport (shm's ring). Read that one straight into the pooled buffer its
                // consumer is lent, instead of letting the pipe read drain it into the reader's buffer first and copying
                // it out of there (LargeFrame.TryPlanPeeked). Only after a chunk, so a call or an event pays no peek.
                if (_peekNextChunk && !_pauseReading && await TryReadPeekedChunkAsync().ConfigureAwait(false)) continue;
                _peekNextChunk = false;
                WaitingForPeer(Environment.TickCount64);
                var read = input.ReadAsync(_lifetime.Token);
                var result = _deferredHead is null ? await read.ConfigureAwait(false) : await new ResumeCallersWhenArmed(this, read);
                NotWaitingForPeer();
                var buffer = result.Buffer;
                var outer = t_handlingFrames;
                var outerDeferring = t_deferringFor;
                t_handlingFrames = true;
                if (DefersReplies) t_deferringFor = this;
                LargeFrame? large = null;
                var lastWasChunk = false;
                try
                {
                    // A pause (below) stops handling at the frame that crossed the bound, not at the end of the read
                    // buffer: the frames after it stay in the transport, so what a paused reader takes in beyond
                    // Events.MaxQueuedBytes is one frame, whatever the size of the transport's read buffer.
                    while (!_pauseReading && TryReadFrame(ref buffer, out var header, out var payload))
                    {
                        HandleFrame(header, payload);
                        lastWasChunk = LargeFrame.IsPeekableChunk(header);
                    }
                    // A large binary frame still arriving: what came so far goes into its own array, the pipe is emptied,
                    // and the rest is read straight into that array below.
                    if (!_pauseReading && _directReader is not null && !result.IsCompleted && !result.IsCanceled && _peer is not null &&
                        LargeFrame.TryPlan(buffer, Options.MaxPayloadLength) is { } plan)
                    {
                        plan.Fill(buffer.Slice(FrameHeader.Size));
                        buffer = buffer.Slice(buffer.End);
                        large = plan;
                    }
                }
                finally
                {
                    t_handlingFrames = outer;
                    t_deferringFor = outerDeferring;
                    // Paused with frames left: examined only up to them, so the next read returns them at once.
                    if (_pauseReading) input.AdvanceTo(buffer.Start);
                    else input.AdvanceTo(buffer.Start, buffer.End);
                }
                WakeConsumersAfterRead();
                if (large is not null)
                {
                    ResumeDeferred(inline: false);
                    await ReadLargeFrameAsync(large).ConfigureAwait(false);
                    _peekNextChunk = _peekingReader is not null && large.Pooled;
                    continue;
                }
                _peekNextChunk = _peekingReader is not null && lastWasChunk && buffer.IsEmpty && !_pauseReading &&
                    !result.IsCompleted && !result.IsCanceled;
                // Bytes left over are the start of a frame: the timer closes the connection if it never completes. Bytes
                // left by a pause are this side's own wait (bounded by the wait timeout), not a peer that stopped mid-frame.
                var paused = _pauseReading;
                if (buffer.IsEmpty || paused) Volatile.Write(ref _partialFrameSince, 0);
                else PartialFrameSince(Environment.TickCount64);
                if (_lowWater is not null) ExpectBytes(paused || result.IsCompleted || result.IsCanceled ? 0 : MissingOfFrame(buffer));
                if (paused)
                {
                    // Local subscribers are behind under the Wait policy: stop reading (the peer's own bounds apply
                    // to what it cannot send meanwhile) until they catch up or the wait times out.
                    _pauseReading = false;
                    ResumeDeferred(inline: false);
                    // A loop on a thread of its own (blocking reads) pauses by blocking that thread, bounded by the wait
                    // timeout: awaiting would resume the loop, and its blocking reads, on a pool thread for good.
                    Volatile.Write(ref _readerWaitsForRoom, true);
                    try
                    {
                        if (_blockingReads) _events.WaitForRoomAsync().GetAwaiter().GetResult();
                        else await _events.WaitForRoomAsync().ConfigureAwait(false);
                    }
                    finally
                    {
                        Volatile.Write(ref _readerResumedAt, Environment.TickCount64);
                        Volatile.Write(ref _readerWaitsForRoom, false);
                    }
                }
                // After a pause the frames left are read again first, even when the stream has ended behind them.
                if ((result.IsCompleted || result.IsCanceled) && !paused)
                {
                    if (!buffer.IsEmpty)
                        throw new IpcProtocolException(ProtocolError.Truncated, $"The stream from {PeerDescription} ended inside a frame.");
                    reason = _goodbyeReceived
                        ? new ChannelFaultedException($"The peer {PeerDescription} closed the connection.", DisconnectReason.ClosedByPeer)
                        : new ChannelFaultedException($"The connection to {PeerDescription} was lost (the peer process ended or closed its end).", DisconnectReason.PeerLost);
                    break;
                }
            }
        }
        catch (IpcProtocolException e)
        {
            // Tell the peer why before hanging up; connection-level errors use correlation ID 0.
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, FrameFlags.None, 0, 0, 0),
                new ErrorPayload { Code = ErrorCodes.Protocol, Type = typeof(IpcProtocolException).FullName!, Message = e.Message }));
            reason = new ChannelFaultedException($"Protocol error from {PeerDescription}: {e.Message}", DisconnectReason.ProtocolViolation, e);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            reason = new ChannelFaultedException($"The connection to {PeerDescription} was closed by this process.", DisconnectReason.ClosedLocally);
        }
        catch (Exception e)
        {
            // After a Goodbye the peer closed on purpose, even if its end then resets (a TCP peer that closes with
            // bytes unread sends a reset, not an orderly end of stream).
            reason = _goodbyeReceived
                ? new ChannelFaultedException($"The peer {PeerDescription} closed the connection ({e.Message}).", DisconnectReason.ClosedByPeer, e)
                : new ChannelFaultedException($"The connection to {PeerDescription} was lost: {e.Message}", DisconnectReason.PeerLost, e);
        }
        ResumeDeferred(inline: false);
        WakeConsumersAfterRead(); // a loop that ended mid-read: the items it queued are still the consumers'
        _events.ReaderDone(); // no frame is handled after this
        Fault(reason);
    }

    // Stream consumers waiting for an item that the read being handled brought: woken once its frames are all handled, so
    // each takes the read's items in one go (StreamCall says why). Only the loop touches the list.
    private readonly List<IWakeAfterRead> _wakeAfterRead = [];

    /// <summary>On this connection's read loop: wakes <paramref name="consumer"/> once the frames of the current read are handled.</summary>
    internal void WakeAfterRead(IWakeAfterRead consumer) => _wakeAfterRead.Add(consumer);

    private void WakeConsumersAfterRead()
    {
        if (_wakeAfterRead.Count == 0) return;
        // A wake queues the consumer's continuation to the thread pool: no consumer code runs on this thread.
        for (var i = 0; i < _wakeAfterRead.Count; i++) _wakeAfterRead[i].Wake();
        _wakeAfterRead.Clear();
    }

    // Calls whose outcome the loop decided and whose callers it resumes when it next waits (DefersReplies), in order.
    // Only the loop touches the list: it adds while handling frames and takes the list before it waits.
    private PendingCall? _deferredHead;
    private PendingCall? _deferredTail;

    /// <summary>
    /// On this connection's read loop (replies deferred): keeps <paramref name="call"/> to resume its caller when the loop
    /// next waits for bytes. False anywhere else: the caller resumes at once.
    /// </summary>
    internal bool TryDefer(PendingCall call)
    {
        if (t_deferringFor != this) return false;
        if (_deferredTail is null) _deferredHead = call;
        else _deferredTail.NextDeferred = call;
        _deferredTail = call;
        return true;
    }

    private PendingCall? TakeDeferred()
    {
        var head = _deferredHead;
        _deferredHead = _deferredTail = null;
        return head;
    }

    private void ResumeDeferred(bool inline) => Resume(TakeDeferred(), inline);

    private static void Resume(PendingCall? call, bool inline)
    {
        while (call is not null)
        {
            var next = call.NextDeferred; // read first: a resumed pooled call may be reused at once
            call.NextDeferred = null;
            call.Resume(inline);
            call = next;
        }
    }

    /// <summary>
    /// Awaits the loop's next read and, if it has to wait, resumes the callers of the replies just read on this thread
    /// once the read is armed: the read's completion then continues the loop on a thread of its own, so a caller's code
    /// run here cannot hold up reading, however long it runs or blocks, and it costs no thread-pool work item of its
    /// own (a socket round trip is then one hand-off per side, as a raw async ping-pong). A read that completed at once
    /// (more bytes waiting) resumes them through the thread pool instead, as before.
    /// </summary>
    private readonly struct ResumeCallersWhenArmed(IpcConnection connection, ValueTask<ReadResult> read) : ICriticalNotifyCompletion
    {
        private readonly ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter _read = read.ConfigureAwait(false).GetAwaiter();

        public ResumeCallersWhenArmed GetAwaiter() => this;

        public bool IsCompleted => _read.IsCompleted;

        public ReadResult GetResult()
        {
            connection.ResumeDeferred(inline: false); // none left if OnCompleted ran
            return _read.GetResult();
        }

        public void OnCompleted(Action continuation)
        {
            var deferred = connection.TakeDeferred();
            _read.OnCompleted(continuation);
            Resume(deferred, inline: true);
        }

        public void UnsafeOnCompleted(Action continuation)
        {
            var deferred = connection.TakeDeferred();
            _read.UnsafeOnCompleted(continuation);
            Resume(deferred, inline: true);
        }
    }

    private bool _pauseReading;

    // The read loop waits for local subscribers to make room (Wait policy), and when it last stopped waiting: the grace a
    // failed write gives the read loop (OnSenderFault) does not run out while the loop waits on this side's own subscribers.
    private bool _readerWaitsForRoom;
    private long _readerResumedAt;

    // Read loop only: the pipe is empty and the last frame was a chunk of a Stream (see TryReadPeekedChunkAsync).
    private bool _peekNextChunk;
    private byte[]? _peekedHeader;
    private long _peekedChunks;

    /// <summary>How many chunks the read loop has read straight from the transport after peeking at them (tests).</summary>
    internal long PeekedChunks => Volatile.Read(ref _peekedChunks);

    /// <summary>
    /// When the transport shows (<see cref="Transports.IPeekingReader"/>) that the next frame is a binary StreamItem
    /// worth it (<see cref="LargeFrame.TryPlanPeeked"/>), reads that frame straight from the transport into the pooled
    /// buffer its consumer is lent and handles it; false, having read nothing, otherwise. Called with the pipe empty.
    /// </summary>
    private async ValueTask<bool> TryReadPeekedChunkAsync()
    {
        var headerBytes = _peekedHeader ??= new byte[FrameHeader.Size];
        // Waits for the next bytes as the pipe read would (the producer may be slower than this consumer): a chunk that
        // arrives while the pipe read waits would be drained into its buffer whole.
        WaitingForPeer(Environment.TickCount64);
        var waiting = _peekingReader!.Peek(headerBytes, wait: true, _lifetime.Token);
        NotWaitingForPeer();
        if (waiting < FrameHeader.Size || LargeFrame.TryPlanPeeked(headerBytes, waiting, Options.MaxPayloadLength, whole: false) is not { } frame)
            return false;
        await TakePeekedHeaderAsync(frame).ConfigureAwait(false);
        await ReadLargeFrameRestAsync(frame).ConfigureAwait(false);
        // Chunks already whole in the ring behind it are read too before any is handed over, so the consumer is given them
        // in one run and woken once, not once per chunk (it copies a chunk out about as fast as this loop reads the next
        // from the ring, and would find none queued nearly every time). At most a default ring's worth; the credit
        // window bounds them as it bounds any queued chunk.
        var burst = _peekedBurst ??= new LargeFrame[MaxPeekedBurst];
        burst[0] = frame;
        var count = 1;
        while (count < MaxPeekedBurst)
        {
            waiting = _peekingReader.Peek(headerBytes, wait: false, _lifetime.Token);
            if (waiting < FrameHeader.Size || LargeFrame.TryPlanPeeked(headerBytes, waiting, Options.MaxPayloadLength, whole: true) is not { } next)
                break;
            await TakePeekedHeaderAsync(next).ConfigureAwait(false);
            await ReadLargeFrameRestAsync(next).ConfigureAwait(false);
            burst[count++] = next;
        }
        ResumeDeferred(inline: false);
        for (var i = 0; i < count; i++)
        {
            var chunk = burst[i];
            burst[i] = null!;
            HandleLargeFrame(chunk);
        }
        return true;
    }

    private const int MaxPeekedBurst = 4;
    private LargeFrame[]? _peekedBurst;

    /// <summary>Takes the 32 header bytes of a peeked chunk out of the transport (they are there: taking them does not wait).</summary>
    private async ValueTask TakePeekedHeaderAsync(LargeFrame frame)
    {
        var headerBytes = _peekedHeader!;
        for (var taken = 0; taken < FrameHeader.Size;)
        {
            var n = await _peekingReader!.ReadDirectAsync(headerBytes.AsMemory(taken), _lifetime.Token).ConfigureAwait(false);
            if (n == 0)
            {
                ArrayPool<byte>.Shared.Return(frame.Bytes);
                throw new IpcProtocolException(ProtocolError.Truncated, $"The stream from {PeerDescription} ended inside a frame.");
            }
            taken += n;
        }
        Volatile.Write(ref _peekedChunks, _peekedChunks + 1);
    }

    /// <summary>
    /// Reads the rest of a large binary frame straight from the transport into its arrays, then handles it with its array
    /// offered to the receiver (<see cref="LargeFrame"/>). The partial-frame bound applies as to any frame: each read that
    /// brings bytes restarts it, a peer that stops mid-frame is disconnected, and that (or any end) ends the read.
    /// </summary>
    private async ValueTask ReadLargeFrameAsync(LargeFrame frame)
    {
        await ReadLargeFrameRestAsync(frame).ConfigureAwait(false);
        HandleLargeFrame(frame);
    }

    /// <summary>The reading half of <see cref="ReadLargeFrameAsync"/>: the rest of the frame, under the partial-frame bound.</summary>
    private async ValueTask ReadLargeFrameRestAsync(LargeFrame frame)
    {
        while (!frame.IsComplete)
        {
            var now = Environment.TickCount64;
            PartialFrameSince(now);
            WaitingForPeer(now);
            if (_lowWater is not null) ExpectBytes(frame.Remaining.Length);
            var n = await _directReader!.ReadDirectAsync(frame.Remaining, _lifetime.Token).ConfigureAwait(false);
            NotWaitingForPeer();
            if (n == 0)
                throw new IpcProtocolException(ProtocolError.Truncated, $"The stream from {PeerDescription} ended inside a frame.");
            frame.Advance(n);
        }
        if (_lowWater is not null) ExpectBytes(0); // the next frame may be small: any byte wakes again
        Volatile.Write(ref _partialFrameSince, 0);
        IpcTelemetry.BytesReceived(FrameHeader.Size + frame.Header.PayloadLength);
    }

    /// <summary>The handling half of <see cref="ReadLargeFrameAsync"/>: the frame, with its array offered to the receiver.</summary>
    private void HandleLargeFrame(LargeFrame frame)
    {
        var outer = t_handlingFrames;
        t_handlingFrames = true;
        if (frame.Pooled) ChunkLending.Offer(frame.Bytes);
        else if (!frame.Scratch) LargeFrame.Offer(frame.Bytes);
        try
        {
            HandleFrame(frame.Header, frame.Payload());
        }
        finally
        {
            if (frame.Pooled) ChunkLending.Revoke();
            else if (frame.Scratch) ArrayPool<byte>.Shared.Return(frame.Bytes); // parsed: nothing refers to it any more
            else LargeFrame.Revoke();
            t_handlingFrames = outer;
        }
    }

    /// <summary>Smallest rest of a frame worth a low-water mark: below it the two system calls cost more than the wake-ups saved.</summary>
    private const int MinLowWater = 64 * 1024;

    /// <summary>
    /// Largest low-water mark: a pipe segment's worth (the socket transport reads 256 KiB segments), so one wake-up brings
    /// what one read can take; the kernel grows the receive buffer to hold it (and caps it at half the largest buffer).
    /// </summary>
    private const int MaxLowWater = 256 * 1024;

    private int _lowWaterMark = 1; // the mark the socket has now (read loop writes, timer reads); 1 is the socket's default
    private int _bytesWaitingSeen; // timer only: the kernel's unread bytes at the last tick while a mark was set

    /// <summary>
    /// Sets the transport's receive low-water mark for the next read to <paramref name="missing"/> bytes of a frame the
    /// loop holds part of (at most <see cref="MaxLowWater"/>), or back to 1 when less than <see cref="MinLowWater"/> is
    /// missing: only the rest of that frame can come next, so waking for less is a wake-up for nothing. Read loop only.
    /// </summary>
    private void ExpectBytes(long missing)
    {
        var mark = missing < MinLowWater ? 1 : (int)Math.Min(missing, MaxLowWater);
        if (mark == _lowWaterMark) return;
        Volatile.Write(ref _lowWaterMark, mark);
        _lowWater!.SetLowWater(mark);
    }

    /// <summary>Bytes missing of the frame at the start of <paramref name="buffer"/> (0: none started, or only its header).</summary>
    private long MissingOfFrame(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < FrameHeader.Size) return 0;
        // Validated already: TryReadFrame read this header before it found the payload incomplete.
        var limit = _peer is null ? Math.Max(Options.MaxPayloadLength, MaxHelloLength) : Options.MaxPayloadLength;
        var first = buffer.FirstSpan;
        var header = first.Length >= FrameHeader.Size ? FrameHeader.Read(first, limit) : ReadSplitHeader(buffer, limit);
        return FrameHeader.Size + (long)header.PayloadLength - buffer.Length;
    }

    /// <summary>
    /// Timer: bytes the kernel holds below the low-water mark are the peer sending, not silence. While a mark is set and
    /// the count of unread bytes moved since the last tick, the partial-frame bound and the keep-alive's silence restart
    /// (unless the loop has moved on meanwhile: each is replaced only if it still holds what was read), as a read that
    /// brought those bytes would have restarted them.
    /// </summary>
    private void NoteBytesBelowLowWater()
    {
        if (_lowWater is null || Volatile.Read(ref _lowWaterMark) <= 1) return;
        var waiting = _lowWater.BytesWaiting;
        var moved = waiting > 0 && waiting != _bytesWaitingSeen;
        _bytesWaitingSeen = waiting;
        if (!moved) return;
        var now = Environment.TickCount64;
        var since = Volatile.Read(ref _partialFrameSince);
        if (since != 0) Interlocked.CompareExchange(ref _partialFrameSince, now, since);
        var silent = Volatile.Read(ref _waitingSince);
        if (silent != 0) Interlocked.CompareExchange(ref _waitingSince, now, silent);
    }

    private IpcCallContext.ContextCache? _handlerContext; // the frame-handling thread's context with this connection current

    /// <inheritdoc cref="_handlerContext"/>
    internal ref IpcCallContext.ContextCache? HandlerContext => ref _handlerContext;
    private long _partialFrameSince; // Environment.TickCount64 since when the reader holds part of a frame (0: none)

    /// <summary>Timer check: a peer may not hold a connection forever with half a frame.</summary>
    private void CheckPartialFrame(long now)
    {
        var since = Volatile.Read(ref _partialFrameSince);
        if (since == 0 || Options.PartialFrameTimeout == Timeout.InfiniteTimeSpan || now - since < (long)Options.PartialFrameTimeout.TotalMilliseconds) return;
        var error = new IpcProtocolException(ProtocolError.Truncated,
            $"The peer {PeerDescription} sent part of a frame and nothing more for {Options.PartialFrameTimeout.TotalSeconds:0.###} s (IpcOptions.PartialFrameTimeout).");
        TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, FrameFlags.None, 0, 0, 0),
            new ErrorPayload { Code = ErrorCodes.Protocol, Type = typeof(IpcProtocolException).FullName!, Message = error.Message }));
        Fault(new ChannelFaultedException($"Protocol error from {PeerDescription}: {error.Message}", DisconnectReason.Stalled, error));
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < FrameHeader.Size) return false;
        // Validated (including the length limit) before we wait for or touch the payload.
        // Until the handshake only Hello is legal; a manifest may exceed a deliberately small payload limit.
        var limit = _peer is null ? Math.Max(Options.MaxPayloadLength, MaxHelloLength) : Options.MaxPayloadLength;
        // Read in place when the first segment holds the whole header (nearly always: a flood of small frames is read
        // frame after frame from one segment), copied out of the pieces otherwise.
        var first = buffer.FirstSpan;
        header = first.Length >= FrameHeader.Size ? FrameHeader.Read(first, limit) : ReadSplitHeader(buffer, limit);
        if (buffer.Length - FrameHeader.Size < header.PayloadLength) return false;
        payload = buffer.Slice(FrameHeader.Size, header.PayloadLength);
        buffer = buffer.Slice(payload.End);
        IpcTelemetry.BytesReceived(FrameHeader.Size + header.PayloadLength);
        return true;
    }

    private static FrameHeader ReadSplitHeader(in ReadOnlySequence<byte> buffer, int limit)
    {
        Span<byte> headerBytes = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(headerBytes);
        return FrameHeader.Read(headerBytes, limit);
    }

    /// <summary>
    /// Smallest JSON payload that is copied into one pooled buffer before it is handled when it arrived in several pieces
    /// (the socket transports read 256 KiB segments). System.Text.Json reads a value that spans pieces by first copying it
    /// into an array of its own, a fresh one for a large string, whose memory the OS faults in page by page: parsing a
    /// 24 MiB string from 96 pieces took 17-24 ms and 6,112 page faults, against 9-12 ms for a copy into a pooled buffer and
    /// a parse of that (docs/benchmarks.md, "Session 21"). Below about 1 MiB the two cost the same.
    /// </summary>
    internal const int ContiguousJsonMinimum = 1024 * 1024;

    private void HandleFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        // Binary frames keep their pieces (their bytes are copied once, into the receiver's own array); an event's body is
        // copied into the event queue's buffer anyway. Everything a frame's handler keeps, it copies or parses before it
        // returns (the pipe's memory is given back after the read), so the pooled buffer goes back right after.
        if (payload.IsSingleSegment || payload.Length < ContiguousJsonMinimum || (header.Flags & FrameFlags.Binary) != 0 || header.Kind == FrameKind.Event)
        {
            HandleFrameInPlace(header, payload);
            return;
        }
        var length = (int)payload.Length;
        var contiguous = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(contiguous);
            HandleFrameInPlace(header, new ReadOnlySequence<byte>(contiguous, 0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(contiguous);
        }
    }

    private void HandleFrameInPlace(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_peer is null && header.Kind != FrameKind.Hello && !(header.Kind == FrameKind.Error && header.CorrelationId == 0))
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, $"Expected Hello as the first frame, received {header.Kind}.");
        switch (header.Kind)
        {
            case FrameKind.Hello:
                OnHello(payload);
                break;
            case FrameKind.Request:
                OnRequest(header, payload);
                break;
            case FrameKind.Response:
                if (TakePending(header, expectPing: false) is { } done) done.Complete(payload, (header.Flags & FrameFlags.Binary) != 0);
                break;
            case FrameKind.Error:
                OnError(header, payload);
                break;
            case FrameKind.Cancel when (header.Flags & FrameFlags.Upstream) != 0:
                // The handler stopped reading this side's argument stream for its call with that ID.
                if (_upstreams.TryGetValue(header.CorrelationId, out var stopped)) stopped.Stop();
                break;
            case FrameKind.Cancel:
                if (_inbound.TryGetValue(header.CorrelationId, out var cancelled)) cancelled.Cancel();
                break;
            case FrameKind.Event:
                if (_events.OnEvent(header, payload, inlineAllowed: ContinuationsOnReaderThread)) _pauseReading = true;
                break;
            case FrameKind.Ping:
                TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Pong, FrameFlags.None, 0, 0, header.CorrelationId)));
                break;
            case FrameKind.Pong:
                if (TakePending(header, expectPing: true) is { } ping) ping.Complete(default, binary: false);
                break;
            case FrameKind.Goodbye:
                Volatile.Write(ref _goodbyeReceived, true); // read by the send path too (OnSenderFault)
                var bye = new ChannelFaultedException($"The peer {PeerDescription} closed the connection.", DisconnectReason.ClosedByPeer);
                foreach (var id in _pending.Keys)
                    if (_pending.TryRemove(id, out var call)) call.Fail(bye);
                break;
            case FrameKind.Subscribe:
                _peerSubscriptions[new SubscriptionKey((header.Flags & FrameFlags.Bus) != 0, header.ContractId)] = 0;
                break;
            case FrameKind.Unsubscribe:
                _peerSubscriptions.TryRemove(new SubscriptionKey((header.Flags & FrameFlags.Bus) != 0, header.ContractId), out _);
                break;
            case FrameKind.StreamItem when (header.Flags & FrameFlags.Upstream) != 0:
                if (_inbound.TryGetValue(header.CorrelationId, out var receiving)) receiving.OnArgumentItem(payload, (header.Flags & FrameFlags.Binary) != 0);
                break;
            case FrameKind.StreamItem:
                OnStreamItem(header, payload);
                break;
            case FrameKind.StreamCredit:
                OnStreamCredit(header, payload);
                break;
            case FrameKind.StreamEnd:
                if ((header.Flags & FrameFlags.Upstream) == 0)
                    throw new IpcProtocolException(ProtocolError.UnexpectedFrame, "StreamEnd frame without the Upstream flag.");
                if (_inbound.TryGetValue(header.CorrelationId, out var ending)) ending.OnArgumentEnd(payload);
                break;
            case FrameKind.Progress:
                // Reports for a call that already ended, or whose caller passed no IProgress, are dropped.
                if (_pending.TryGetValue(header.CorrelationId, out var reported) && reported.Progress is { } sink) sink.OnProgress(payload);
                break;
        }
    }

    private void OnStreamItem(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (!_pending.TryGetValue(header.CorrelationId, out var call)) return; // an item already in flight when the call was cancelled
        if (call is not IStreamItemSink sink)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame,
                $"StreamItem frame for correlation ID {header.CorrelationId}, which is not a call with a stream result.");
        sink.OnItem(payload, (header.Flags & FrameFlags.Binary) != 0);
    }

    private void OnStreamCredit(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (payload.Length != 4)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, $"StreamCredit frame with a {payload.Length}-byte payload; it carries exactly 4 bytes.");
        Span<byte> grant = stackalloc byte[4];
        payload.CopyTo(grant);
        uint bytes = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(grant);
        // A grant for a stream that already ended (or never was one) is harmless: the producer may have finished first.
        // With Upstream it is for this side's argument stream of its own call; without, for a stream result it produces.
        if ((header.Flags & FrameFlags.Upstream) != 0)
        {
            if (_upstreams.TryGetValue(header.CorrelationId, out var upstream)) upstream.AddCredit(bytes);
        }
        else if (_inbound.TryGetValue(header.CorrelationId, out var request)) request.AddCredit(bytes);
    }

    /// <summary>The pending call a Response/Error/Pong answers; a reply of the wrong kind is a protocol error.</summary>
    private PendingCall? TakePending(in FrameHeader header, bool expectPing)
    {
        if (!_pending.TryGetValue(header.CorrelationId, out var call)) return null; // late reply to a cancelled call
        if (call.IsPing != expectPing)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame,
                $"{header.Kind} frame for correlation ID {header.CorrelationId}, which is a {(call.IsPing ? "Ping" : "Request")}.");
        return _pending.TryRemove(new KeyValuePair<ulong, PendingCall>(header.CorrelationId, call)) ? call : null;
    }

    private void OnHello(in ReadOnlySequence<byte> payload)
    {
        if (_peer is not null)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, "The peer sent a second Hello.");
        var manifest = Manifest.Parse(payload);
        if (manifest.Protocol != FrameHeader.CurrentVersion)
            throw new IpcProtocolException(ProtocolError.UnsupportedVersion,
                $"The peer's manifest is for protocol version {manifest.Protocol}; this side speaks version {FrameHeader.CurrentVersion}.");
        foreach (var id in manifest.Subscribes) _peerSubscriptions[new SubscriptionKey(false, id)] = 0;
        foreach (var id in manifest.BusSubscribes) _peerSubscriptions[new SubscriptionKey(true, id)] = 0;
        _peer = new PeerManifest(manifest);
        _handshake.TrySetResult(_peer);
        IpcTelemetry.ConnectionOpened(this);
    }

    private void OnError(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        ErrorPayload error;
        try
        {
            error = ErrorPayload.Parse(payload);
        }
        catch (IpcProtocolException e)
        {
            error = new ErrorPayload { Code = ErrorCodes.Remote, Type = "unknown", Message = $"(unreadable error payload: {e.Message})" };
        }
        if (header.CorrelationId == 0)
        {
            // The peer is about to hang up on us; keep its reason for every pending call.
            Fault(new ChannelFaultedException($"The peer {PeerDescription} reported a protocol error and closed the connection: {error.Message}", DisconnectReason.RejectedByPeer));
            return;
        }
        if (TakePending(header, expectPing: false) is { } call)
            call.Fail(ErrorFrames.ToException(error, call.Description));
    }

    private void OnRequest(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.CorrelationId == 0)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, "A Request must not use correlation ID 0 (reserved for connection-level errors).");
        if (_inbound.Count >= Options.MaxInFlightRequests)
        {
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, header.Flags & ~FrameFlags.TraceContext, header.ContractId, header.MethodId, header.CorrelationId),
                new ErrorPayload
                {
                    Code = ErrorCodes.Overloaded, Type = typeof(IpcOverloadedException).FullName!,
                    Message = $"The peer already runs {Options.MaxInFlightRequests} requests from this connection (IpcOptions.MaxInFlightRequests).",
                }));
            return;
        }
        if (_local.Draining)
        {
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, header.Flags & ~FrameFlags.TraceContext, header.ContractId, header.MethodId, header.CorrelationId),
                new ErrorPayload { Code = ErrorCodes.Overloaded, Type = typeof(IpcOverloadedException).FullName!, Message = $"The server ({Options.ProcessName}) is shutting down." }));
            return;
        }
        var body = payload;
        var parent = default(System.Diagnostics.ActivityContext);
        if ((header.Flags & FrameFlags.TraceContext) != 0 && !IpcTelemetry.TryStripTraceContext(this, header, ref body, out parent, out var prefixError))
        {
            // A malformed prefix fails this call only (bad_payload), like arguments that do not parse.
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, header.Flags & ~FrameFlags.TraceContext, header.ContractId, header.MethodId, header.CorrelationId),
                new ErrorPayload { Code = ErrorCodes.BadPayload, Type = typeof(IpcProtocolException).FullName!, Message = $"Bad trace-context prefix: {prefixError}." }));
            return;
        }
        var binary = default(ReadOnlySequence<byte>);
        if ((header.Flags & FrameFlags.Binary) != 0 && !BinarySection.TrySplit(header.Flags, body, out body, out binary, out var binaryError))
        {
            // A malformed binary section fails this call only (bad_payload), like arguments that do not parse.
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, header.Flags & ~(FrameFlags.TraceContext | FrameFlags.Binary), header.ContractId, header.MethodId, header.CorrelationId),
                new ErrorPayload { Code = ErrorCodes.BadPayload, Type = typeof(IpcProtocolException).FullName!, Message = $"Bad binary section: {binaryError}." }));
            return;
        }
        var request = Interlocked.Exchange(ref _spareRequest, null)?.Reuse(header, body, binary)
            ?? new InboundRequest(this, header, body, binary, _lifetime.Token);
        if (!_inbound.TryAdd(header.CorrelationId, request))
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, $"Correlation ID {header.CorrelationId} is already in use by a call in flight.");
        var context = IpcCallContext.Enter(this, ref _handlerContext, _callOrigins ? header.CorrelationId : 0);
        using var telemetry = IpcTelemetry.StartServerCall(this, request, header, parent);
        var finished = true;
        try
        {
            var pending = Dispatch(request, header);
            if (pending.IsCompleted)
            {
                pending.GetAwaiter().GetResult();
                if (!request.HasReplied) request.Fail(new InvalidOperationException("The handler completed without a reply."));
            }
            else
            {
                finished = false;
                request.ObserveDispatch(pending);
            }
        }
        catch (Exception e)
        {
            request.Fail(e);
        }
        finally
        {
            context.Dispose();
            request.ReleasePayload();
        }
        if (finished) Recycle(request);
    }

    private InboundRequest? _spareRequest; // a finished request kept for the next one: a request then allocates no object of its own

    /// <summary>Keeps a request whose dispatch has completed for the next one, if nothing can reach it any more.</summary>
    internal void Recycle(InboundRequest request)
    {
        if (request.CanBeReused) Volatile.Write(ref _spareRequest, request);
    }

    private ValueTask Dispatch(InboundRequest request, in FrameHeader header)
    {
        if ((header.Flags & FrameFlags.Bus) != 0)
        {
            var bus = _local.FindBusRequestHandler(header.MethodId)
                ?? throw new ContractMismatchException("$bus", MessageTypeRegistryName(header.MethodId),
                    $"This process ({Options.ProcessName}) has no request handler for message type {MessageTypeRegistryName(header.MethodId)}.")
                { IsDispatchFailure = true };
            return bus.DispatchAsync(request);
        }
        if (_local.FindRawHandler(header.ContractId, header.MethodId) is { } raw)
            return RunRaw(raw, Untyped.RawJson.CallFor(raw, request), request);
        var handler = _local.FindRequestHandler(header.ContractId)
            ?? throw new ContractMismatchException(Runtime.ContractRegistry.Find(header.ContractId)?.Alias ?? $"0x{header.ContractId:X8}", null,
                $"This process ({Options.ProcessName}) has no handler for contract {Runtime.ContractRegistry.Find(header.ContractId)?.Alias ?? $"0x{header.ContractId:X8}"}.")
            { IsDispatchFailure = true };
        return handler.DispatchAsync(request);
    }

    private static string MessageTypeRegistryName(uint id) => Runtime.MessageTypeRegistry.FindName(id) ?? $"0x{id:X8}";

    private static async ValueTask RunRaw(RawHandlerEntry raw, RawCall call, InboundRequest request)
    {
        var json = await raw.InvokeAsync(call).ConfigureAwait(false);
        if (json is null) request.ReplyEmpty();
        else request.ReplyRaw(Encoding.UTF8.GetBytes(json), raw);
    }


}
