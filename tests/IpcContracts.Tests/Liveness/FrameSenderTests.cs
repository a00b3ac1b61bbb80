using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using IpcContracts.Connections;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// <see cref="FrameSender"/>, the one send path of a connection (issue #11: defect 2 and "no thread that sends ever
/// waits for the peer"), driven against a PipeWriter whose writes the test completes by hand, so every interleaving
/// below is constructed, not hoped for. Frames carry their ID and length in their first bytes, so the bytes that
/// reached the transport parse back into the order the frames left in; every frame is created with one extra
/// reference the test keeps, which proves the sender released it exactly once (see <see cref="Harness.AssertAllReleasedOnce"/>).
/// </summary>
public sealed class FrameSenderTests
{
    private const uint ContractA = 0xA;
    private const uint ContractB = 0xB;
    private const uint ContractC = 0xC;

    /// <summary>Every tenth frame is large enough for the sender's direct WriteAsync path; the rest are buffered and flushed.</summary>
    private static int SizeOf(int id) => id % 10 == 0 ? 70 * 1024 + id : 16 + id;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Frames_leave_in_queue_order_small_and_large_alike(bool gathering)
    {
        var h = new Harness(gathering: gathering);
        var ids = Enumerable.Range(1, 100).ToArray();

        foreach (var id in ids) Assert.True(h.Sender.TrySend(h.Frame(id, SizeOf(id))));

        Assert.Equal(ids, h.Writer.FrameIds());
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// Writes that cannot finish now (a full ring or socket buffer): a flush, a large frame's direct write at the
    /// start of a batch and one in the middle of the rest of an interrupted batch all pend; frames queued behind
    /// them still leave in queue order once the transport takes the bytes.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frames_queued_behind_pending_writes_leave_in_queue_order(bool gathering)
    {
        var h = new Harness(gathering: gathering);
        h.Writer.PendWhen = _ => true; // every transport write pends until the test completes it

        Assert.True(h.Sender.TrySend(h.Frame(1, 100)));      // a flush that pends
        Assert.True(h.Sender.TrySend(h.Frame(10, SizeOf(10)))); // next batch starts with a large frame
        Assert.True(h.Sender.TrySend(h.Frame(2, 50)));
        Assert.True(h.Sender.TrySend(h.Frame(20, SizeOf(20)))); // a large frame inside the interrupted batch's rest
        Assert.True(h.Sender.TrySend(h.Frame(3, 60)));
        Assert.Equal([1], h.Writer.FrameIds());

        await h.CompleteWritesUntilIdleAsync();

        Assert.Equal([1, 10, 2, 20, 3], h.Writer.FrameIds());
        Assert.Equal(0, h.Writer.Overlaps);
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// Small frames that queue behind a pending write are copied into shared blocks and give their own pooled buffers
    /// back at once (a flood would otherwise hold one buffer per frame, more than the pool keeps); on the wire they
    /// still leave whole and in queue order, and the bytes stay counted until the transport has them.
    /// </summary>
    [Fact]
    public async Task Small_frames_queued_behind_a_pending_write_give_their_buffers_back_at_once_and_leave_in_order()
    {
        var h = new Harness();
        h.Writer.PendWhen = _ => true;
        var first = h.Frame(1, 100);
        Assert.True(h.Sender.TrySend(first)); // its flush pends: everything after it queues
        var queued = Enumerable.Range(2, 300).Select(id => h.Frame(id, 100 + id % 7)).ToArray();
        foreach (var frame in queued) Assert.True(h.Sender.TrySend(frame));

        Assert.All(queued, f => Assert.Equal(1, f.References)); // only the test's own reference is left
        Assert.Equal(100 + queued.Sum(f => f.Length), h.Sender.QueuedBytes);

        await h.CompleteWritesUntilIdleAsync();

        Assert.Equal(Enumerable.Range(1, 301), h.Writer.FrameIds());
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// Defect 2, the exact race of the old design: the writer has written its batch and is finishing (inside the
    /// transport's flush, about to give up the writer role) while another thread queues a frame. That thread must
    /// neither wait nor write (the role is taken), and the writer must not leave its frame behind.
    /// </summary>
    [Fact]
    public void A_frame_queued_by_another_thread_while_the_writer_finishes_is_written()
    {
        var h = new Harness();
        h.Writer.BeforeOp = op =>
        {
            if (op.Index == 0) OnOtherThread(() => Assert.True(h.Sender.TrySend(h.Frame(2, 40))));
        };

        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));

        // The writer saw frame 2 before it gave up its role: nothing is left in the queue and no write is pending.
        Assert.Equal([1, 2], h.Writer.FrameIds());
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>Defect 2 on the asynchronous path: frames queued by other threads while a write pends, and while the writer resumes after it.</summary>
    [Fact]
    public async Task Frames_queued_while_a_write_pends_or_while_the_writer_resumes_are_written()
    {
        var h = new Harness();
        h.Writer.PendWhen = op => op.Index == 0;
        h.Writer.BeforeOp = op =>
        {
            // The writer resumed after the pending write and is flushing the next batch: another thread queues.
            if (op.Index == 1) OnOtherThread(() => Assert.True(h.Sender.TrySend(h.Frame(3, 40))));
        };

        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));
        OnOtherThread(() => Assert.True(h.Sender.TrySend(h.Frame(2, 40)))); // while the first write pends
        Assert.Equal([1], h.Writer.FrameIds());

        await h.CompleteWritesUntilIdleAsync();

        Assert.Equal([1, 2, 3], h.Writer.FrameIds());
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// A frame of a burst (<see cref="FrameSender.TrySendSoon"/>, a stream item its producer had ready at once) is not
    /// written by the thread that queues it: the write is handed to a work item, and the frames queued while that write
    /// runs leave together in its next flush (one system call on a socket) instead of one flush each. The handed-on write
    /// is held inside the transport until the test has queued the rest, so 100 frames take at most two flushes whatever
    /// the timing (written by the queuing thread, as TrySend does when no one writes, they would take 100).
    /// </summary>
    /// <remarks>Events published back to back take the same path (<paramref name="events"/>): over tcp:// each one used to
    /// cost its own send, since the socket's roomy buffer never made a write wait for one to queue behind.</remarks>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Burst_frames_are_written_by_a_handed_on_writer_and_share_its_next_flush(bool events)
    {
        var h = new Harness(gathering: true); // a socket's writer: the only kind bursts are handed on for
        using var sending = new ThreadLocal<bool>(); // true on the test's thread while it is inside TrySendSoon
        var flushesInsideSend = 0;
        using var queued = new ManualResetEventSlim();
        h.Writer.BeforeOp = op =>
        {
            if (sending.Value) Interlocked.Increment(ref flushesInsideSend);
            // Bounded: a writer running on the test's thread would fail here instead of waiting for itself.
            if (op.Index == 0) Assert.True(queued.Wait(TimeSpan.FromSeconds(30)), "the test never queued the rest");
        };

        for (var id = 1; id <= 100; id++)
        {
            sending.Value = true;
            Assert.True(events
                ? h.Sender.TrySendEvent(h.Frame(id, 16 + id), ContractA, new EventOverflow(EventOverflowPolicy.Wait, 1 << 20, TimeSpan.FromMinutes(1)))
                : h.Sender.TrySendSoon(h.Frame(id, 16 + id)));
            sending.Value = false;
        }
        queued.Set();
        await Eventually.TrueAsync(() => h.Sender.QueuedBytes == 0);

        Assert.Equal(Enumerable.Range(1, 100), h.Writer.FrameIds());
        // The handed-on writer's first flush takes what was queued when it started (at least frame 1; all 100 if the test
        // was quicker) and waits inside the transport until everything is queued; the rest leaves in one more flush.
        Assert.InRange(h.Writer.Ops, 1, 2);
        Assert.Equal(0, flushesInsideSend);
        Assert.Equal(0, h.Writer.Overlaps);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// A producer slower than the hand-off (each burst frame finds the writer gone again, so nothing ever joins a handed-on
    /// write) would pay a work item per frame for nothing: after two such hand-offs its frames are written on its own
    /// thread again, as <see cref="FrameSender.TrySend"/> does, and every eighth is handed on to try again.
    /// </summary>
    [Fact]
    public async Task Burst_frames_that_never_batch_are_written_on_the_senders_thread_again()
    {
        var h = new Harness(gathering: true);
        using var sending = new ThreadLocal<bool>(); // true on the test's thread while it is inside TrySendSoon
        var writtenInsideSend = new List<int>(); // IDs of the frames flushed by TrySendSoon itself
        h.Writer.BeforeOp = op =>
        {
            if (sending.Value) lock (writtenInsideSend) writtenInsideSend.Add(h.Writer.UnflushedFrameId());
        };

        for (var id = 1; id <= 12; id++)
        {
            sending.Value = true;
            Assert.True(h.Sender.TrySendSoon(h.Frame(id, 40)));
            sending.Value = false;
            await Eventually.TrueAsync(() => h.Sender.QueuedBytes == 0); // the writer is gone before the next frame
        }

        Assert.Equal(Enumerable.Range(1, 12), h.Writer.FrameIds());
        // 1, 2: handed on; 3-9 written here; 10 handed on again; 11 written here (still nothing joined); 12 too.
        lock (writtenInsideSend) Assert.Equal([3, 4, 5, 6, 7, 8, 9, 11, 12], writtenInsideSend);
        h.AssertAllReleasedOnce();
    }

    /// <summary>Over a writer that does not gather (shared memory, in-process) a burst frame is written as any other: at once, here.</summary>
    [Fact]
    public void Burst_frames_over_a_writer_without_system_calls_are_written_at_once_by_the_sender()
    {
        var h = new Harness();
        for (var id = 1; id <= 5; id++)
        {
            Assert.True(h.Sender.TrySendSoon(h.Frame(id, 40)));
            Assert.Equal(Enumerable.Range(1, id), h.Writer.FrameIds()); // written before TrySendSoon returned
        }
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// Many threads queue while the transport keeps pending and another thread completes its writes: no frame is
    /// stranded, each thread's frames leave in its own order, no two writes overlap, every frame is released once.
    /// </summary>
    [Fact]
    public async Task Concurrent_senders_against_a_transport_that_keeps_pending_strand_nothing()
    {
        var h = new Harness();
        h.Writer.PendWhen = op => op.Index % 3 == 0;
        const int threads = 4, perThread = 2000;
        using var stop = new CancellationTokenSource();
        var transport = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!h.Writer.CompletePending()) await Task.Yield();
            }
        });
        var senders = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < perThread; i++) Assert.True(h.Sender.TrySend(h.Frame(t * 1_000_000 + i, 16 + i % 200)));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => h.Sender.QueuedBytes == 0 && h.Writer.FrameIds().Count == threads * perThread);
        await stop.CancelAsync();
        await transport.WaitAsync(TimeSpan.FromSeconds(30));

        var written = h.Writer.FrameIds();
        for (var t = 0; t < threads; t++)
        {
            var mine = written.Where(id => id / 1_000_000 == t).Select(id => id % 1_000_000);
            Assert.Equal(Enumerable.Range(0, perThread), mine);
        }
        Assert.Equal(0, h.Writer.Overlaps);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// Defect 1's root: no caller ever waits for the peer. With the transport's first write pending forever,
    /// TrySend and TrySendEvent still return at once; the frames wait in the queue, counted against the bound.
    /// </summary>
    [Fact]
    public async Task No_caller_waits_while_a_transport_write_is_pending()
    {
        var h = new Harness();
        h.Writer.PendWhen = _ => true;
        long expected = 0;

        // On a thread of its own: a caller that blocked would fail the test at the bound instead of hanging it.
        var calls = Task.Factory.StartNew(() =>
        {
            for (var id = 1; id <= 50; id++)
            {
                var size = SizeOf(id);
                expected += size;
                Assert.True(id % 2 == 0
                    ? h.Sender.TrySend(h.Frame(id, size))
                    : h.Sender.TrySendEvent(h.Frame(id, size), ContractA, new EventOverflow(EventOverflowPolicy.Disconnect, long.MaxValue, TimeSpan.FromSeconds(5))));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await calls.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1], h.Writer.FrameIds()); // only the first frame reached the transport, whose write still pends
        Assert.Equal(1, h.Writer.Ops);          // and nobody wrote again while it pends
        Assert.Equal(expected, h.Sender.QueuedBytes);

        await h.CompleteWritesUntilIdleAsync();
        Assert.Equal(Enumerable.Range(1, 50), h.Writer.FrameIds());
        Assert.Equal(0, h.Writer.Overlaps);
        h.AssertAllReleasedOnce();
    }

    [Fact]
    public async Task More_than_MaxSendQueueBytes_waiting_closes_the_connection_with_a_reason()
    {
        var h = new Harness(new IpcOptions { MaxSendQueueBytes = 1000 });
        h.Writer.PendWhen = _ => true;
        Assert.True(h.Sender.TrySend(h.Frame(1, 600)));
        Assert.True(h.Sender.TrySend(h.Frame(2, 300)));

        Assert.False(h.Sender.TrySend(h.Frame(3, 200))); // 1,100 bytes would wait

        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DisconnectReason.Stalled, Assert.IsType<ChannelFaultedException>(reason).Reason);
        Assert.Contains("MaxSendQueueBytes", reason.Message);
        Assert.Contains("not reading", reason.Message);
        await h.CompleteWritesUntilIdleAsync();
        Assert.Equal([1, 2], h.Writer.FrameIds());
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// Once the sender gave up on the peer (a bound passed, policy Disconnect), it takes no further frame: otherwise
    /// events after the one it dropped would still reach the subscriber before the connection closes, a gap the
    /// subscriber could not see. The connection's fault arrives asynchronously, so this must not depend on it.
    /// </summary>
    [Fact]
    public async Task After_an_overflow_closes_the_connection_no_later_frame_is_sent()
    {
        var h = new Harness(new IpcOptions { MaxSendQueueBytes = 1_000_000 });
        h.Writer.PendWhen = op => op.Index == 0;
        var overflow = new EventOverflow(EventOverflowPolicy.Disconnect, 250, TimeSpan.FromSeconds(5));
        Assert.True(h.Sender.TrySendEvent(h.Frame(1, 100), ContractA, overflow)); // being written
        Assert.True(h.Sender.TrySendEvent(h.Frame(2, 100), ContractA, overflow)); // queued

        Assert.False(h.Sender.TrySendEvent(h.Frame(3, 100), ContractA, overflow)); // past the bound: dropped, connection closes
        Assert.False(h.Sender.TrySendEvent(h.Frame(4, 10), ContractA, overflow));  // would fit, but must not follow the gap
        Assert.False(h.Sender.TrySend(h.Frame(5, 10)));

        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("not keeping up", reason.Message);
        await h.CompleteWritesUntilIdleAsync();
        Assert.Equal([1, 2], h.Writer.FrameIds()); // what was queued before the gap still leaves
        await h.Sender.Drained.WaitAsync(TimeSpan.FromSeconds(30));
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// DropOldest removes the oldest events of the same contract that the writer has not taken yet: never the one
    /// being written, never another contract's, and what is left keeps its order. Nothing older to drop: the new one goes.
    /// </summary>
    [Fact]
    public async Task DropOldest_drops_only_untaken_events_of_the_same_contract_and_keeps_order()
    {
        var h = new Harness();
        h.Writer.PendWhen = op => op.Index == 0;
        var policy = new EventOverflow(EventOverflowPolicy.DropOldest, 300, TimeSpan.FromSeconds(5));

        Assert.True(h.Sender.TrySendEvent(h.Frame(1, 100), ContractA, policy));  // taken by the writer, pending
        Assert.True(h.Sender.TrySendEvent(h.Frame(2, 100), ContractA, policy));
        Assert.True(h.Sender.TrySendEvent(h.Frame(3, 100), ContractB, policy));  // 300 bytes of events: at the bound
        Assert.True(h.Sender.TrySend(h.Frame(4, 100)));                          // not an event: never dropped
        Assert.True(h.Sender.TrySendEvent(h.Frame(5, 100), ContractA, policy));  // drops 2 (not 1: taken)
        Assert.True(h.Sender.TrySendEvent(h.Frame(6, 100), ContractA, policy));  // drops 5
        Assert.True(h.Sender.TrySendEvent(h.Frame(7, 100), ContractB, policy));  // drops 3
        Assert.False(h.Sender.TrySendEvent(h.Frame(8, 100), ContractC, policy)); // no older C event: the new one goes
        Assert.Equal(4, h.Sender.DroppedEvents);
        Assert.Equal(400, h.Sender.QueuedBytes); // 1 (being written), 4, 6, 7

        await h.CompleteWritesUntilIdleAsync();

        Assert.Equal([1, 4, 6, 7], h.Writer.FrameIds());
        Assert.False(h.Faulted.IsCompleted);
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// What the writer has taken from the queue can no longer be dropped, so a writer that resumed after a slow peer and
    /// took the whole full queue as its next batch left DropOldest nothing older to drop: every newer event was dropped
    /// instead, the newest included, while that batch waited for the peer (seen as EventQueueTests' DropOldest case
    /// losing its last event once events were handed to a work item). The writer takes a bounded slice of events per
    /// batch, so the newest event survives and the oldest queued ones make room.
    /// </summary>
    [Fact]
    public async Task DropOldest_keeps_the_newest_event_when_the_writer_resumes_behind_a_full_queue()
    {
        var h = new Harness();
        h.Writer.PendWhen = op => op.Index <= 1; // the first write pends, and so does the batch the writer takes next
        var policy = new EventOverflow(EventOverflowPolicy.DropOldest, 256 * 1024, TimeSpan.FromSeconds(5));
        Assert.True(h.Sender.TrySendEvent(h.Frame(1, 1024), ContractA, policy)); // taken by the writer, pending
        for (var id = 2; id <= 400; id++) h.Sender.TrySendEvent(h.Frame(id, 1024), ContractA, policy); // past the bound: drops the oldest
        Assert.True(h.Sender.DroppedEvents > 0);

        Assert.True(h.Writer.CompletePending()); // the writer resumes, takes its next batch and pends again
        await Eventually.TrueAsync(() => h.Writer.HasPending);
        for (var id = 401; id <= 410; id++)
            Assert.True(h.Sender.TrySendEvent(h.Frame(id, 1024), ContractA, policy), $"event {id}, the newest, was dropped");

        await h.CompleteWritesUntilIdleAsync();
        var ids = h.Writer.FrameIds();
        Assert.Equal(Enumerable.Range(401, 10), ids[^10..]);
        Assert.Equal(ids.Order(), ids);
        Assert.True(h.Sender.QueuedBytes == 0);
        h.AssertAllReleasedOnce();
    }

    /// <summary>The Wait policy blocks the publisher while the subscriber's queue is full, and lets it go once the transport took bytes.</summary>
    [Fact]
    public async Task Wait_blocks_the_publisher_until_there_is_room()
    {
        var h = new Harness();
        h.Writer.PendWhen = op => op.Index == 0;
        var policy = new EventOverflow(EventOverflowPolicy.Wait, 200, TimeSpan.FromMinutes(10));
        Assert.True(h.Sender.TrySendEvent(h.Frame(1, 100), ContractA, policy)); // pending
        Assert.True(h.Sender.TrySendEvent(h.Frame(2, 100), ContractA, policy)); // at the bound

        var publisher = Blocking(() => h.Sender.TrySendEvent(h.Frame(3, 100), ContractA, policy), out var thread);
        await Eventually.TrueAsync(() => (thread.ThreadState & ThreadState.WaitSleepJoin) != 0);
        Assert.False(publisher.IsCompleted);

        await h.CompleteWritesUntilIdleAsync();

        Assert.True(await publisher.WaitAsync(TimeSpan.FromSeconds(30)));
        await h.CompleteWritesUntilIdleAsync();
        Assert.Equal([1, 2, 3], h.Writer.FrameIds());
        Assert.False(h.Faulted.IsCompleted);
        h.AssertAllReleasedOnce();
    }

    [Fact]
    public async Task Wait_gives_up_after_its_timeout_and_closes_the_connection_with_a_reason()
    {
        var h = new Harness();
        h.Writer.PendWhen = _ => true;
        var policy = new EventOverflow(EventOverflowPolicy.Wait, 200, TimeSpan.FromMilliseconds(50));
        Assert.True(h.Sender.TrySendEvent(h.Frame(1, 100), ContractA, policy));
        Assert.True(h.Sender.TrySendEvent(h.Frame(2, 100), ContractA, policy));

        var publisher = Blocking(() => h.Sender.TrySendEvent(h.Frame(3, 100), ContractA, policy), out _);

        Assert.False(await publisher.WaitAsync(TimeSpan.FromSeconds(30)));
        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("EventOverflowPolicy.Wait", reason.Message);
        await h.CompleteWritesUntilIdleAsync();
        Assert.Equal([1, 2], h.Writer.FrameIds());
        h.AssertAllReleasedOnce();
    }

    [Fact]
    public async Task A_publisher_waiting_for_room_is_let_go_when_the_sender_completes()
    {
        var h = new Harness();
        h.Writer.PendWhen = _ => true;
        var policy = new EventOverflow(EventOverflowPolicy.Wait, 200, TimeSpan.FromMinutes(10));
        Assert.True(h.Sender.TrySendEvent(h.Frame(1, 100), ContractA, policy));
        Assert.True(h.Sender.TrySendEvent(h.Frame(2, 100), ContractA, policy));
        var publisher = Blocking(() => h.Sender.TrySendEvent(h.Frame(3, 100), ContractA, policy), out var thread);
        await Eventually.TrueAsync(() => (thread.ThreadState & ThreadState.WaitSleepJoin) != 0);

        h.Sender.Complete();

        Assert.False(await publisher.WaitAsync(TimeSpan.FromSeconds(30)));
        await h.CompleteWritesUntilIdleAsync();
        await h.Sender.Drained.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([1, 2], h.Writer.FrameIds());
        h.AssertAllReleasedOnce();
    }

    /// <summary>The stall check fires only while a transport write pends, and only once it pended longer than SendStallTimeout.</summary>
    [Fact]
    public async Task CheckStall_closes_the_connection_only_when_a_write_pends_longer_than_SendStallTimeout()
    {
        var h = new Harness(new IpcOptions { SendStallTimeout = TimeSpan.FromSeconds(10) });
        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));
        h.Sender.CheckStall(Environment.TickCount64 + 1_000_000); // nothing pends: an idle connection is not stalled
        Assert.False(h.Faulted.IsCompleted);

        h.Writer.PendWhen = op => op.Index == 1;
        var before = Environment.TickCount64;
        Assert.True(h.Sender.TrySend(h.Frame(2, 40)));
        var after = Environment.TickCount64;
        h.Sender.CheckStall(before + 9_999); // pending, but not yet for the whole timeout
        Assert.False(h.Faulted.IsCompleted);

        h.Sender.CheckStall(after + 10_000);
        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("SendStallTimeout", reason.Message);
        Assert.Contains("stopped reading", reason.Message);
    }

    [Fact]
    public async Task CheckStall_does_nothing_once_the_pending_write_completed_or_with_an_infinite_timeout()
    {
        var h = new Harness(new IpcOptions { SendStallTimeout = TimeSpan.FromSeconds(10) });
        h.Writer.PendWhen = op => op.Index == 0;
        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));
        await h.CompleteWritesUntilIdleAsync();
        h.Sender.CheckStall(Environment.TickCount64 + 1_000_000);
        Assert.False(h.Faulted.IsCompleted);

        var infinite = new Harness(new IpcOptions { SendStallTimeout = Timeout.InfiniteTimeSpan });
        infinite.Writer.PendWhen = _ => true;
        Assert.True(infinite.Sender.TrySend(infinite.Frame(1, 40)));
        infinite.Sender.CheckStall(Environment.TickCount64 + 1_000_000_000);
        Assert.False(infinite.Faulted.IsCompleted);
    }

    /// <summary>Complete takes no new frame but writes what is queued (a Goodbye, a last Error), then completes Drained.</summary>
    [Fact]
    public async Task Complete_writes_what_is_queued_then_completes_Drained()
    {
        var idle = new Harness();
        idle.Sender.Complete();
        Assert.True(idle.Sender.Drained.IsCompleted); // nothing queued: drained at once

        var h = new Harness();
        h.Writer.PendWhen = _ => true;
        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));
        Assert.True(h.Sender.TrySend(h.Frame(2, 70_000)));
        Assert.True(h.Sender.TrySend(h.Frame(3, 40)));

        h.Sender.Complete();
        Assert.False(h.Sender.TrySend(h.Frame(4, 40)));
        Assert.False(h.Sender.TrySendEvent(h.Frame(5, 40), ContractA, new EventOverflow(EventOverflowPolicy.Disconnect, 1000, TimeSpan.FromSeconds(1))));
        Assert.False(h.Sender.Drained.IsCompleted);

        await h.CompleteWritesUntilIdleAsync();

        await h.Sender.Drained.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([1, 2, 3], h.Writer.FrameIds());
        Assert.False(h.Faulted.IsCompleted);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// A transport whose synchronous write throws in the middle of a batch: the connection faults once with the
    /// transport's message, and every frame (the one being written, the rest of its batch and those queued behind)
    /// is released exactly once.
    /// </summary>
    [Fact]
    public async Task A_writer_that_throws_in_a_batch_faults_once_and_releases_every_frame()
    {
        var h = new Harness();
        h.Writer.BeforeOp = op =>
        {
            // While frame 1 is written, frames 2-5 queue behind it (this thread holds the writer role): one batch.
            if (op.Index == 0)
                for (var id = 2; id <= 5; id++) Assert.True(h.Sender.TrySend(h.Frame(id, id == 4 ? 70_000 : 40)));
        };
        h.Writer.ThrowOnFrame = 3;

        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));

        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("transport broke", reason.Message);
        Assert.False(h.Sender.TrySend(h.Frame(6, 40)));
        Assert.True(h.Sender.Drained.IsCompleted);
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
        await h.AssertFaultedOnceAsync();
    }

    /// <summary>The same after a write pended: the rest of the interrupted batch is written on the resumed path, and a frame of it throws.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_writer_that_throws_after_a_pending_write_faults_once_and_releases_every_frame(bool gathering)
    {
        var h = new Harness(gathering: gathering);
        h.Writer.PendWhen = op => op.Index <= 1;
        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));          // op 0: flush pends
        Assert.True(h.Sender.TrySend(h.Frame(2, 70_000)));      // op 1: direct write pends, the rest of its batch waits
        Assert.True(h.Sender.TrySend(h.Frame(3, 40)));
        Assert.True(h.Sender.TrySend(h.Frame(4, 40)));          // throws on the resumed path
        Assert.True(h.Sender.TrySend(h.Frame(5, 40)));
        h.Writer.ThrowOnFrame = 4;

        await h.CompleteNextAsync(); // frame 1 taken; frame 2's write pends
        await h.CompleteNextAsync(); // frame 2 taken; 3 written, 4 throws

        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("transport broke", reason.Message);
        await h.Sender.Drained.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
        await h.AssertFaultedOnceAsync();
    }

    /// <summary>A pending write that fails (the transport closed under it): the frames it held and those queued behind it are released once.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_pending_write_that_fails_faults_once_and_releases_every_frame(bool gathering)
    {
        var h = new Harness(gathering: gathering);
        h.Writer.PendWhen = _ => true;
        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));
        Assert.True(h.Sender.TrySend(h.Frame(2, 70_000)));
        Assert.True(h.Sender.TrySend(h.Frame(3, 40)));
        await h.CompleteNextAsync();                               // frame 2's direct write pends now
        await h.CompleteNextAsync(new IOException("transport broke")); // frame 2's write fails; 3 was never written

        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("transport broke", reason.Message);
        Assert.True(h.Sender.Drained.IsCompleted);
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
        await h.AssertFaultedOnceAsync();
    }

    /// <summary>
    /// With a transport that sends several buffers at once (IGatheringWriter, the socket transports), large frames queued
    /// back to back behind a pending write leave in one gathered write, without a copy, in queue order (a large frame on
    /// its own is written as before); the small frame behind them gets its own flush, and every frame is released once
    /// after its write finished.
    /// </summary>
    [Fact]
    public async Task Large_frames_queued_behind_a_pending_write_leave_in_one_gathered_write()
    {
        var h = new Harness(gathering: true);
        h.Writer.PendWhen = op => op.Index == 0;
        Assert.True(h.Sender.TrySend(h.Frame(1, 70_000))); // op 0: alone, a plain direct write; pends
        for (var id = 2; id <= 5; id++) Assert.True(h.Sender.TrySend(h.Frame(id, 70_000)));
        Assert.True(h.Sender.TrySend(h.Frame(6, 100)));
        Assert.Equal([1], h.Writer.FrameIds());

        await h.CompleteNextAsync();
        await h.CompleteWritesUntilIdleAsync();

        Assert.Equal([1, 2, 3, 4, 5, 6], h.Writer.FrameIds());
        Assert.Equal([0, 4, 0], h.Writer.FramesPerOp); // frame 1 on its own; frames 2-5 in one gathered write; the flush of frame 6
        Assert.Equal(0, h.Writer.Overlaps);
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>A gathered write that pends and then fails: its frames and the one queued behind them are released once.</summary>
    [Fact]
    public async Task A_gathered_write_that_fails_faults_once_and_releases_every_frame()
    {
        var h = new Harness(gathering: true);
        h.Writer.PendWhen = _ => true;
        Assert.True(h.Sender.TrySend(h.Frame(1, 40)));                 // op 0: its flush pends
        for (var id = 2; id <= 4; id++) Assert.True(h.Sender.TrySend(h.Frame(id, 70_000)));
        Assert.True(h.Sender.TrySend(h.Frame(5, 40)));
        await h.CompleteNextAsync();                                   // frames 2-4 leave in one gathered write, which pends
        await h.CompleteNextAsync(new IOException("transport broke")); // and fails; 5 was never written

        var reason = await h.Faulted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("transport broke", reason.Message);
        Assert.Equal([0, 3], h.Writer.FramesPerOp);
        Assert.True(h.Sender.Drained.IsCompleted);
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
        await h.AssertFaultedOnceAsync();
    }

    /// <summary>
    /// A Request that borrows the caller's memory for its binary section (docs/semantics.md, "The caller's buffer") goes
    /// out as the same bytes as a frame in one piece, in queue order: on a socket (gathering) as one gathered write of its
    /// head, the caller's bytes and its trailer, nothing copied; elsewhere as its head, then the caller's bytes in one
    /// direct write (which may pend), then its trailer.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_frame_that_borrows_the_callers_memory_goes_out_whole_and_in_order(bool gathering)
    {
        var h = new Harness(gathering: gathering);
        h.Writer.PendWhen = op => op.Direct; // every write of the caller's bytes pends until the test completes it
        Assert.True(h.Sender.TrySend(h.Frame(1, 100)));
        Assert.True(h.Sender.TrySend(h.BorrowingFrame(2, 80_000, out _)));
        Assert.True(h.Sender.TrySend(h.Frame(3, 60)));
        Assert.True(h.Sender.TrySend(h.BorrowingFrame(4, 70_000, out _)));
        Assert.True(h.Sender.TrySend(h.Frame(5, 70_000)));

        await h.CompleteWritesUntilIdleAsync();

        Assert.Equal([1, 2, 3, 4, 5], h.Writer.FrameIds());
        // Gathering: frame 1's flush; frame 2 as [head, caller's bytes, trailer] in one call; frame 4's three pieces and
        // large frame 5 queued behind it in one call (frame 3, buffered, goes first within it).
        if (gathering) Assert.Equal([0, 3, 4], h.Writer.FramesPerOp);
        Assert.Equal(0, h.Writer.Overlaps);
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// A borrowing frame whose call ended while it waited in the queue (the lease abandoned) is never written, not even in
    /// part: the caller may already be writing into that memory. The frames around it leave as usual.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_borrowing_frame_abandoned_before_the_sender_took_it_is_never_written(bool gathering)
    {
        var h = new Harness(gathering: gathering);
        h.Writer.PendWhen = op => op.Index == 0;
        Assert.True(h.Sender.TrySend(h.Frame(1, 70_000)));                       // pends: what follows queues
        Assert.True(h.Sender.TrySend(h.BorrowingFrame(2, 80_000, out var second)));
        Assert.True(h.Sender.TrySend(h.Frame(3, 70_000)));
        Assert.True(second.TryAbandon());

        await h.CompleteNextAsync();
        await h.CompleteWritesUntilIdleAsync();

        Assert.Equal([1, 3], h.Writer.FrameIds());
        Assert.False(second.TryStartWrite());
        Assert.Equal(0, h.Sender.QueuedBytes);
        h.AssertAllReleasedOnce();
    }

    /// <summary>
    /// A call that ends while its borrowing frame is being written is parked: its outcome is published only after the
    /// write has ended (the transport took the bytes, trailer included, or the write failed), never while the sender may
    /// still read the caller's memory; and the frame can no longer be abandoned.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task A_call_ending_while_its_borrowing_frame_is_written_is_published_only_after_the_write(bool gathering, bool fails)
    {
        var h = new Harness(gathering: gathering);
        h.Writer.PendWhen = op => op.Direct;
        Assert.True(h.Sender.TrySend(h.BorrowingFrame(7, 90_000, out var borrowed, testReference: false)));
        await Eventually.TrueAsync(() => h.Writer.HasPending);
        var call = new ParkedProbe(h.Writer);

        Assert.False(borrowed.TryAbandon());
        Assert.False(borrowed.TryEndCall(call));
        Assert.False(call.Published.IsCompleted);

        if (fails) await h.CompleteNextAsync(new IOException("transport broke"));
        else await h.CompleteWritesUntilIdleAsync();

        var writerIdle = await call.Published.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(writerIdle, "The outcome was published while the write of the caller's bytes was still pending.");
        if (!fails) Assert.Equal([7], h.Writer.FrameIds()); // whole, trailer included
        Assert.True(borrowed.TryEndCall(call)); // done: a later look publishes at once
        if (fails) await h.AssertFaultedOnceAsync();
    }

    /// <summary>Stands in for a call whose outcome waits for its frame; records whether the transport was idle when published.</summary>
    private sealed class ParkedProbe(ControlledWriter writer) : IParkedOutcome
    {
        private readonly TaskCompletionSource<bool> _published = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<bool> Published => _published.Task;

        public void PublishParked()
        {
            if (!_published.TrySetResult(!writer.HasPending)) throw new InvalidOperationException("Published twice.");
        }
    }

    private static void OnOtherThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true };
        thread.Start();
        // A thread that waited for the writer would fail the test here instead of hanging it.
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "The other thread's send did not return.");
        if (error is not null) throw new InvalidOperationException("The other thread failed.", error);
    }

    private static Task<bool> Blocking(Func<bool> send, out Thread thread)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        thread = new Thread(() =>
        {
            try { done.TrySetResult(send()); }
            catch (Exception e) { done.TrySetException(e); }
        }) { IsBackground = true };
        thread.Start();
        return done.Task;
    }

    /// <summary>A FrameSender over a <see cref="ControlledWriter"/>, and the frames the test gave it.</summary>
    private sealed class Harness
    {
        private readonly List<OutgoingFrame> _frames = [];
        private readonly TaskCompletionSource<Exception> _faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _faults;

        public Harness(IpcOptions? options = null, bool gathering = false)
        {
            Writer = gathering ? new GatheringWriter() : new ControlledWriter();
            Sender = new FrameSender(Writer, options ?? new IpcOptions(), e =>
            {
                Interlocked.Increment(ref _faults);
                _faulted.TrySetResult(e);
            }, () => "the test peer");
        }

        public ControlledWriter Writer { get; }
        public FrameSender Sender { get; }
        public Task<Exception> Faulted => _faulted.Task;

        /// <summary>A frame of <paramref name="length"/> bytes: its ID and length, then a fill byte derived from the ID.</summary>
        public OutgoingFrame Frame(int id, int length)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            BinaryPrimitives.WriteInt32LittleEndian(buffer, id);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), length);
            buffer.AsSpan(8, length - 8).Fill((byte)id);
            var frame = new OutgoingFrame(buffer, length);
            frame.AddRef(); // the test's own reference: the sender's release must leave exactly this one
            lock (_frames) _frames.Add(frame);
            return frame;
        }

        /// <summary>
        /// A frame whose binary section borrows <paramref name="length"/> - 40 bytes of "caller's memory": the same bytes on
        /// the wire as <see cref="Frame"/> (ID, length, fill byte), here in three pieces; the trailer is fill bytes too.
        /// </summary>
        /// <param name="testReference">Keep a reference of the test's own, as <see cref="Frame"/> does; without one the
        /// sender's release is the last, which is what tells the lease the caller's memory is free.</param>
        public OutgoingFrame BorrowingFrame(int id, int length, out BorrowedArgument borrowed, bool testReference = true)
        {
            const int head = 36;
            var buffer = ArrayPool<byte>.Shared.Rent(head + 4);
            BinaryPrimitives.WriteInt32LittleEndian(buffer, id);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), length);
            buffer.AsSpan(8, head - 8 + 4).Fill((byte)id);
            var body = new byte[length - head - 4];
            body.AsSpan().Fill((byte)id);
            borrowed = new BorrowedArgument();
            var frame = new OutgoingFrame(buffer, head, body, borrowed);
            if (!testReference) return frame;
            frame.AddRef(); // the test's own reference, as for Frame
            lock (_frames) _frames.Add(frame);
            return frame;
        }

        /// <summary>
        /// The sender released each frame exactly once: with the test's reference still held the bytes are readable
        /// (not released twice), and dropping that reference returns them (released at all).
        /// </summary>
        public void AssertAllReleasedOnce()
        {
            List<OutgoingFrame> frames;
            lock (_frames) frames = [.. _frames];
            for (var i = 0; i < frames.Count; i++)
            {
                var frame = frames[i];
                Assert.True(TryRead(frame), $"The {i + 1}. frame the test created was released more than once.");
                var id = BinaryPrimitives.ReadInt32LittleEndian(Bytes(frame).Span);
                frame.Release();
                Assert.False(TryRead(frame), $"Frame {id} was never released by the sender.");
            }
            lock (_frames) _frames.Clear();

            static ReadOnlyMemory<byte> Bytes(OutgoingFrame frame) => frame.Borrowed is null ? frame.Memory : frame.Head;

            static bool TryRead(OutgoingFrame frame)
            {
                try { return !Bytes(frame).IsEmpty; }
                catch (ObjectDisposedException) { return false; }
            }
        }

        /// <summary>Completes pending transport writes (each may start the next) until the sender has nothing left.</summary>
        public async Task CompleteWritesUntilIdleAsync()
        {
            var deadline = Environment.TickCount64 + 30_000;
            while (Sender.QueuedBytes != 0 || Writer.HasPending)
            {
                if (Environment.TickCount64 > deadline) Assert.Fail($"The sender did not drain: {Sender.QueuedBytes} bytes queued.");
                if (!Writer.CompletePending()) await Task.Delay(1);
            }
        }

        /// <summary>Completes (or fails) the next pending transport write once there is one.</summary>
        public async Task CompleteNextAsync(Exception? error = null)
        {
            await Eventually.TrueAsync(() => Writer.HasPending);
            Assert.True(error is null ? Writer.CompletePending() : Writer.FailPending(error));
        }

        public async Task AssertFaultedOnceAsync()
        {
            // The fault is reported on the thread pool; a second report would be queued right behind the first.
            await Task.Delay(50);
            Assert.Equal(1, Volatile.Read(ref _faults));
        }
    }

    /// <summary>One call into the transport: a flush, or a large frame's direct write.</summary>
    private readonly record struct Op(int Index, bool Direct);

    /// <summary>
    /// A PipeWriter standing in for a transport: bytes count as taken when a flush or direct write is called; the
    /// test decides which of those calls pend (and completes or fails them later), may run code inside them, and
    /// may make the write of one frame throw. It also records any write that overlaps another or a pending one.
    /// </summary>
    private class ControlledWriter : PipeWriter
    {
        private readonly object _gate = new();
        private readonly ArrayBufferWriter<byte> _unflushed = new();
        private readonly List<byte> _taken = [];
        private TaskCompletionSource<FlushResult>? _pending;
        private int _inside;
        private int _ops;

        /// <summary>Decides per call whether it pends.</summary>
        public Func<Op, bool> PendWhen { get; set; } = _ => false;

        /// <summary>Runs inside each flush or direct write, before it takes the bytes.</summary>
        public Action<Op>? BeforeOp { get; set; }

        /// <summary>The ID of the frame whose buffered write throws (checked as its bytes are committed).</summary>
        public int ThrowOnFrame { get; set; } = -1;

        public int Overlaps;

        public int Ops => Volatile.Read(ref _ops);

        /// <summary>The ID of the first frame buffered and not yet flushed (inside a flush: the frame it is about to take).</summary>
        public int UnflushedFrameId() => BinaryPrimitives.ReadInt32LittleEndian(_unflushed.WrittenSpan);

        public bool HasPending
        {
            get { lock (_gate) return _pending is { Task.IsCompleted: false }; }
        }

        /// <summary>IDs of the frames the transport took, in order, each checked for its fill bytes.</summary>
        public List<int> FrameIds()
        {
            byte[] bytes;
            lock (_gate) bytes = [.. _taken];
            var ids = new List<int>();
            var at = 0;
            while (at < bytes.Length)
            {
                var id = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
                var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 4));
                Assert.True(bytes.AsSpan(at + 8, length - 8).IndexOfAnyExcept((byte)id) < 0, $"Frame {id} arrived with bytes of another frame.");
                ids.Add(id);
                at += length;
            }
            return ids;
        }

        /// <summary>Completes the pending call, if any; its continuation (the sender resuming) runs on this thread.</summary>
        public bool CompletePending() => Finish(null);

        public bool FailPending(Exception error) => Finish(error);

        private bool Finish(Exception? error)
        {
            TaskCompletionSource<FlushResult>? pending;
            lock (_gate)
            {
                pending = _pending;
                if (pending is null || pending.Task.IsCompleted) return false;
                _pending = null;
            }
            if (error is null) pending.SetResult(new FlushResult(isCanceled: false, isCompleted: false));
            else pending.SetException(error);
            return true;
        }

        public override void Advance(int bytes)
        {
            var written = _unflushed.WrittenCount;
            _unflushed.Advance(bytes);
            // One write may carry several of the test's frames (the sender coalesces small queued frames): walk them by
            // their [id][length] prefix.
            for (var at = written; ThrowOnFrame >= 0 && _unflushed.WrittenCount - at >= 8;)
            {
                var frame = _unflushed.WrittenSpan[at..];
                if (BinaryPrimitives.ReadInt32LittleEndian(frame) == ThrowOnFrame) throw new IOException("transport broke");
                at += Math.Max(8, BinaryPrimitives.ReadInt32LittleEndian(frame[4..]));
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _unflushed.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0)
        {
            CheckNotPending();
            return _unflushed.GetSpan(sizeHint);
        }

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _unflushed.WrittenCount;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => Take(ReadOnlyMemory<byte>.Empty, direct: false);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) => Take(source, direct: true);

        /// <summary>Gathered writes: how many buffers each call passed (0 for a flush or a single direct write).</summary>
        public List<int> FramesPerOp { get; } = [];

        protected ValueTask<FlushResult> Take(ReadOnlyMemory<byte> source, bool direct, int gathered = 0)
        {
            CheckNotPending();
            if (Interlocked.Increment(ref _inside) != 1) Interlocked.Increment(ref Overlaps);
            try
            {
                var op = new Op(Interlocked.Increment(ref _ops) - 1, direct);
                BeforeOp?.Invoke(op);
                lock (_gate)
                {
                    FramesPerOp.Add(gathered);
                    _taken.AddRange(_unflushed.WrittenSpan);
                    _taken.AddRange(source.Span);
                    _unflushed.ResetWrittenCount();
                    if (!PendWhen(op)) return default;
                    _pending = new TaskCompletionSource<FlushResult>(); // continuations inline: the test drives them
                    return new ValueTask<FlushResult>(_pending.Task);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }

        /// <summary>The sender must not touch the transport again while a write of its pends.</summary>
        private void CheckNotPending()
        {
            if (HasPending) Interlocked.Increment(ref Overlaps);
        }

        public override void CancelPendingFlush() { }

        public override void Complete(Exception? exception = null) { }
    }

    /// <summary>A <see cref="ControlledWriter"/> that also takes gathered writes, as one call into the transport.</summary>
    private sealed class GatheringWriter : ControlledWriter, Transports.IGatheringWriter
    {
        public ValueTask<FlushResult> WriteGatheredAsync(IReadOnlyList<ReadOnlyMemory<byte>> buffers)
        {
            var joined = new byte[buffers.Sum(b => b.Length)];
            var at = 0;
            foreach (var buffer in buffers)
            {
                buffer.Span.CopyTo(joined.AsSpan(at));
                at += buffer.Length;
            }
            return Take(joined, direct: true, gathered: buffers.Count);
        }
    }
}
