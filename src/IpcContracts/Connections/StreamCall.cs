using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;
using System.Runtime.CompilerServices;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>
/// The caller's side of a stream result: a pending call that receives StreamItem frames until a Response (the end)
/// or an Error. Items are parsed on the reader thread and queued for the consumer; the credit window bounds the queue:
/// the reader never waits for the consumer, and the consumer holds at most <see cref="StreamOptions.CreditWindow"/>
/// (<see cref="StreamOptions.ByteCreditWindow"/> for bytes) of items (plus one item) because the producer may not send
/// more before it is granted more (docs/protocol.md, "Streams").
/// </summary>
/// <remarks>The items wait in an <see cref="ItemQueue{T}"/>, which says when the consumer is woken.</remarks>
internal sealed class StreamCall<T> : PendingCall, IAsyncEnumerator<T>, IStreamItemSink, IChunkLender
{
    private readonly ItemQueue<T> _items;
    private readonly JsonTypeInfo<T>? _itemType; // null: an untyped caller's stream, T is string and each item its JSON text
    private readonly ConsumerCredit _credit;
    private readonly CancellationToken _consumerToken;
    private readonly CallTimeout _itemTimeout;
    private CancellationTokenSource? _linked;
    private int _ended; // 1 once the consumer saw the end, an error, or gave up
    private bool _lend; // set by the consumer (a ChunkReadStream), read by the reader thread: items from then on are lent
    private byte[]? _lent; // the pooled buffer of Current, given back when the consumer asks for the next item

    public void LendChunks() => Volatile.Write(ref _lend, true);

    // itemTimeout: how long the consumer waits for each next item, the deadline a call started now would have (scope,
    // method, default), fixed for the whole enumeration. A stream has no deadline as a whole, since its length is the
    // producer's business; what a deadline can bound without cutting a healthy stream short is a producer gone quiet.
    public StreamCall(IpcConnection connection, ulong id, string description, JsonTypeInfo<T>? itemType, CancellationToken consumerToken,
        CallTimeout itemTimeout)
        : base(connection, id, description)
    {
        _itemTimeout = itemTimeout;
        _itemType = itemType;
        _items = new ItemQueue<T>(connection);
        _credit = new ConsumerCredit(connection.Options.Streams.WindowFor<T>());
        _credit.Granted(_credit.Window); // by InitialCredit, sent right behind the Request
        _consumerToken = consumerToken;
    }

    public T Current { get; private set; } = default!;

    private readonly TaskCompletionSource _endedSource = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the call is over on this side (end, error, cancel or early dispose): stops an argument stream.</summary>
    public Task Ended => _endedSource.Task;

    /// <summary>The first grant: the whole window, sent right behind the Request (the send queue keeps the order).</summary>
    public OutgoingFrame InitialCredit() => ConsumerCredit.Frame(FrameFlags.None, Id, _credit.Window);

    /// <summary>A StreamItem frame (reader thread): parse it and queue it; never waits.</summary>
    public void OnItem(in ReadOnlySequence<byte> payload, bool binary)
    {
        // The producer may start an item while it has any credit left, so an item may overdraw by its own size;
        // an item with no credit at all breaks the protocol (docs/protocol.md, "Streams").
        if (!_credit.TryReceive(payload.Length))
        {
            FailAndCancel(new IpcProtocolException(ProtocolError.UnexpectedFrame,
                $"The peer sent an item of {Description} beyond the credit it was granted ({_credit.Window} bytes)."));
            return;
        }
        T item;
        byte[]? lent = null;
        try
        {
            if (_itemType is null) item = (T)(object)Untyped.RawText.Of(payload, binary);
            else if (!binary || !Volatile.Read(ref _lend) || !ChunkLending.TryLend(payload, out item, out lent))
                item = PayloadJson.ReadItem(payload, binary, _itemType, "item of ", Description);
        }
        catch (Exception e)
        {
            FailAndCancel(e);
            return;
        }
        SetDeadline(0); // the producer is alive; the consumer re-arms when it finds nothing to read
        _items.Add(item, (int)payload.Length, lent);
    }

    private void FailAndCancel(Exception error)
    {
        Abandon();
        _endedSource.TrySetResult();
        Telemetry?.Complete(error);
        _items.Complete(error);
    }

    /// <summary>The Response: the stream ended after the items already queued.</summary>
    public override void Complete(in ReadOnlySequence<byte> payload, bool binary)
    {
        Disarm();
        _endedSource.TrySetResult();
        Telemetry?.Complete(null);
        _items.Complete(null);
    }

    public override void Fail(Exception error)
    {
        Disarm();
        _endedSource.TrySetResult();
        Telemetry?.Complete(error);
        _items.Complete(error);
    }

    protected override void Cancelled(CancellationToken token)
    {
        _endedSource.TrySetResult();
        var error = new OperationCanceledException(token);
        Telemetry?.Complete(error);
        _items.Complete(error);
    }

    // The wait's start by the high-resolution clock as well: the deadline is kept in Environment.TickCount64 (one clock
    // for every call the connection's timer checks); the message names the wait as measured by Stopwatch, so a report
    // whose two figures disagree points at the check, not at the producer (it did: "sent no item for 30 s ... this wait
    // began 0.002 s ago" was the timer reading the deadline twice across a consumer's clear; PendingCall.IsPast).
    private long _waitStarted;

    protected override string TimeoutMessage =>
        $"The stream {Description} sent no item for {_itemTimeout} while its consumer waited (this wait began {Stopwatch.GetElapsedTime(Volatile.Read(ref _waitStarted)).TotalSeconds:0.###} s ago).";

    /// <summary>The token that cancels the call: the method's token and the enumerator's, linked when both can cancel.</summary>
    public CancellationToken Token(CancellationToken methodToken)
    {
        if (!_consumerToken.CanBeCanceled) return methodToken;
        if (!methodToken.CanBeCanceled) return _consumerToken;
        _linked = CancellationTokenSource.CreateLinkedTokenSource(methodToken, _consumerToken);
        return _linked.Token;
    }

    public ValueTask<bool> MoveNextAsync()
    {
        ChunkLending.Return(ref _lent); // the consumer is done with Current
        if (_items.TryTake(out var next)) return new ValueTask<bool>(Take(next));
        return WaitAsync();
    }

    // Pooled: a consumer that keeps up waits for every read's items, and a box per wait was 115 B per item.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitAsync()
    {
        while (true)
        {
            // Waiting with nothing buffered: the producer owes an item, so the call's timeout runs until one comes.
            if (!_itemTimeout.IsInfinite)
            {
                Volatile.Write(ref _waitStarted, Stopwatch.GetTimestamp());
                SetDeadline(_itemTimeout.DeadlineFromNow());
            }
            bool more;
            try
            {
                more = await _items.WaitToReadAsync().ConfigureAwait(false);
            }
            catch
            {
                SetDeadline(0);
                Volatile.Write(ref _ended, 1);
                throw;
            }
            SetDeadline(0); // an item came (or the end): the consumer is not waiting on the producer any more
            if (!more)
            {
                Volatile.Write(ref _ended, 1);
                return false;
            }
            if (_items.TryTake(out var next)) return Take(next);
        }
    }

    private bool Take((T Item, int Size, byte[]? Lent) next)
    {
        Current = next.Item;
        _lent = next.Lent;
        if (_credit.Consumed(next.Size) is > 0 and var grant) Connection.TrySend(ConsumerCredit.Frame(FrameFlags.None, Id, grant));
        return true;
    }

    /// <summary>Early disposal (break out of <c>await foreach</c>) cancels the producer; after the end it only cleans up.</summary>
    public ValueTask DisposeAsync()
    {
        Current = default!;
        ChunkLending.Return(ref _lent);
        _endedSource.TrySetResult();
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            Abandon();
            _items.Complete(new ObjectDisposedException(nameof(StreamCall<T>)));
        }
        _linked?.Dispose();
        return default;
    }
}

/// <summary>A pending call that takes StreamItem frames (the reader does not know the item type).</summary>
internal interface IStreamItemSink
{
    void OnItem(in ReadOnlySequence<byte> payload, bool binary);
}

/// <summary>
/// What a generated proxy returns for a stream method: cold, so every enumeration is its own call (like an
/// <c>async IAsyncEnumerable</c> method), and calls nothing until enumerated.
/// </summary>
internal sealed class StreamRequest<TArgs, TItem>(IpcConnection connection, Runtime.MethodDescriptor method, TArgs args,
    Runtime.ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TItem> itemType, CancellationToken methodToken) : IAsyncEnumerable<TItem>
{
    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        connection.StartStream(method, args, writeArgs, itemType, methodToken, cancellationToken);
}

/// <summary>One untyped stream call per enumeration (<see cref="IpcConnection.InvokeRawStream"/>), cold like <see cref="StreamRequest{TArgs, TItem}"/>.</summary>
internal sealed class RawStreamRequest(IpcConnection connection, string contractAlias, string method, string argumentsJson, CancellationToken methodToken)
    : IAsyncEnumerable<string>
{
    public IAsyncEnumerator<string> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        connection.StartRawStream(contractAlias, method, argumentsJson, methodToken, cancellationToken);
}
