using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace IpcContracts.Nats;

/// <summary>
/// The durable half of one broker connection (docs/protocol.md section 9.1): a JetStream stream per durable event
/// contract that captures its ordinary event subjects <c>P.evt.C.*</c>, publishes whose broker acknowledgements are tracked
/// so a Ping can wait for them, and one durable pull consumer per subscribed durable contract whose messages are
/// acknowledged once the core reports that the subscribers are done (<see cref="Handled"/>).
/// </summary>
internal sealed class JetStreamEvents
{
    private readonly NatsConnection _nats;
    private readonly NatsAddress _address;
    private readonly NatsDurableEventOptions _durable;
    private readonly IpcOptions _options;
    private readonly string _instance;
    private readonly string _peer;
    private readonly Action<string> _fail;
    private readonly NatsJSContext _js;
    private readonly ConcurrentDictionary<uint, Task> _streams = new();
    private readonly CancellationTokenSource _stopping = new();

    // Publishing: sequence numbers of durable publishes the broker has not acknowledged, and Pongs waiting for them.
    private readonly object _lock = new();
    private readonly SortedSet<ulong> _unacknowledged = [];
    private readonly List<(ulong Through, TaskCompletionSource Done)> _waiters = [];
    private readonly SemaphoreSlim _window;
    private ulong _published;

    // Consuming: messages handed to the core under a delivery tag, acknowledged when the core gives the tag back.
    private readonly ConcurrentDictionary<ulong, INatsJSMsg<byte[]>> _held = new();
    private readonly ConcurrentDictionary<uint, CancellationTokenSource> _consumers = new();
    private readonly ConcurrentDictionary<uint, Task> _consumersReady = new();
    private readonly ConcurrentDictionary<Task, byte> _acking = new();
    private long _nextTag;
    private long _redelivered;

    public JetStreamEvents(NatsConnection nats, NatsAddress address, NatsDurableEventOptions durable, IpcOptions options, string instance, string peer,
        Action<string> fail)
    {
        _nats = nats;
        _address = address;
        _durable = durable;
        _options = options;
        _instance = instance;
        _peer = peer;
        _fail = fail;
        _js = new NatsJSContext(nats);
        _window = new SemaphoreSlim(durable.MaxInFlight, durable.MaxInFlight);
    }

    /// <summary>Events the broker delivered to this connection again (a previous delivery was not acknowledged).</summary>
    public long Redelivered => Interlocked.Read(ref _redelivered);

    public bool IsDurable(uint contractId) => _durable.IsDurable(contractId);

    /// <summary>Creates the contract's stream if it is missing (idempotent; the same configuration from every process).</summary>
    public Task EnsureStreamAsync(uint contractId) => _streams.GetOrAdd(contractId, id => CreateStreamAsync(id));

    private async Task CreateStreamAsync(uint contractId)
    {
        var config = new StreamConfig(_address.Stream(contractId), [_address.Events(contractId)])
        {
            // Interest: an event is kept until every consumer that existed when it was stored has acknowledged it (or
            // MaxAge passes); with no durable consumer at all it is not kept, like a core NATS event nobody listens to.
            Retention = StreamConfigRetention.Interest,
            Storage = StreamConfigStorage.File,
            MaxAge = _durable.MaxAge,
        };
        try
        {
            await _js.CreateOrUpdateStreamAsync(config, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _streams.TryRemove(contractId, out _); // a later connection tries again
            throw new IpcConfigurationException(
                $"Durable events of contract 0x{contractId:X8} need the JetStream stream {config.Name} on {_address.Url} (subjects {_address.Events(contractId)}), " +
                $"which could not be created: {e.Message}. Start nats-server with JetStream (-js).", e);
        }
    }

    // ---------------------------------------------------------------- publishing

    /// <summary>
    /// Publishes one durable event with a reply subject the stream answers with its acknowledgement. Waits while
    /// <see cref="NatsDurableEventOptions.MaxInFlight"/> publishes are unacknowledged; a broker that acknowledges none of
    /// them within <see cref="NatsDurableEventOptions.AckWait"/> ends the connection.
    /// </summary>
    public async ValueTask PublishAsync(uint contractId, string subject, ReadOnlySequence<byte> frame, NatsHeaders? headers)
    {
        await EnsureStreamAsync(contractId).ConfigureAwait(false);
        if (!await _window.WaitAsync(_durable.AckWait, _stopping.Token).ConfigureAwait(false))
        {
            _fail($"the NATS server {_address.Url} acknowledged none of {_durable.MaxInFlight} durable events within {_durable.AckWait.TotalSeconds:0.###} s (NatsDurableEventOptions.AckWait)");
            return;
        }
        ulong sequence;
        lock (_lock)
        {
            sequence = ++_published;
            _unacknowledged.Add(sequence);
        }
        await _nats.PublishAsync(subject, frame, headers, _address.Ack(_instance, sequence),
            NatsRawSerializer<ReadOnlySequence<byte>>.Default).ConfigureAwait(false);
    }

    /// <summary>Everything published so far; <see cref="WaitAcknowledgedAsync"/> waits for it.</summary>
    public ulong PublishedSoFar
    {
        get { lock (_lock) return _published; }
    }

    /// <summary>Completes once the broker has acknowledged every durable publish up to <paramref name="through"/>.</summary>
    public Task WaitAcknowledgedAsync(ulong through)
    {
        lock (_lock)
        {
            if (_unacknowledged.Count == 0 || _unacknowledged.Min > through) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((through, done));
            return done.Task;
        }
    }

    /// <summary>
    /// A stream's answer on <c>P.ack.I.N</c>: <c>{"stream":..,"seq":..}</c> when stored. An error answer, or NATS's
    /// no-responders status (no stream captures the subject), means the event was not stored: reported, and the
    /// connection ends so that no Ping after it can succeed.
    /// </summary>
    public ValueTask OnAckAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload)
    {
        if (!ulong.TryParse(subject.AsSpan(subject.LastIndexOf('.') + 1), out var sequence)) return default;
        var error = RawHeaders.Status(headers) == 503 ? "no stream stores the subject (NATS no responders)" : AckError(payload);
        if (error is not null)
        {
            _options.ReportEventHandlerException(new IpcException($"A durable event was not stored by the NATS server {_address.Url}: {error}."));
            _fail($"a durable event was not stored ({error})");
            return default;
        }
        lock (_lock)
        {
            if (!_unacknowledged.Remove(sequence)) return default;
            var floor = _unacknowledged.Count == 0 ? ulong.MaxValue : _unacknowledged.Min;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Through >= floor) continue;
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
        _window.Release();
        return default;
    }

    private static string? AckError(in ReadOnlySequence<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return "an unreadable acknowledgement";
            if (doc.RootElement.TryGetProperty("error", out var error))
                return error.TryGetProperty("description", out var description) ? description.GetString() : error.ToString();
            return doc.RootElement.TryGetProperty("seq", out _) ? null : "an acknowledgement without a sequence";
        }
        catch (JsonException)
        {
            return "an unreadable acknowledgement";
        }
    }

    // ---------------------------------------------------------------- consuming

    /// <summary>
    /// Starts consuming a durable contract under this process's consumer name (once per contract); each message goes to
    /// <paramref name="deliver"/> with its delivery tag, its subject (which carries the sender's fingerprint) and its
    /// <c>Ipc-Sig</c> header, if any.
    /// </summary>
    public void Subscribe(uint contractId, Func<ReadOnlySequence<byte>, ulong, string?, string?, ValueTask<bool>> deliver)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        if (!_consumers.TryAdd(contractId, stop))
        {
            stop.Dispose();
            return;
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _consumersReady[contractId] = ready.Task;
        _ = ConsumeAsync(contractId, deliver, ready, stop.Token);
    }

    /// <summary>Completes once every consumer subscribed so far exists on the broker (or failed to, which was reported).</summary>
    public Task ConsumersReady => Task.WhenAll(_consumersReady.Values);

    /// <summary>
    /// Stops consuming. The durable consumer stays on the broker: what is published meanwhile waits for the next
    /// subscription under the same name, in this process or a restarted one.
    /// </summary>
    public void Unsubscribe(uint contractId)
    {
        if (_consumers.TryRemove(contractId, out var stop)) stop.Cancel();
    }

    private async Task ConsumeAsync(uint contractId, Func<ReadOnlySequence<byte>, ulong, string?, string?, ValueTask<bool>> deliver, TaskCompletionSource ready,
        CancellationToken cancellationToken)
    {
        var name = _durable.ResolvedConsumerName;
        try
        {
            using var _ = Defer(ready);
            await EnsureStreamAsync(contractId).ConfigureAwait(false);
            var consumer = await _js.CreateOrUpdateConsumerAsync(_address.Stream(contractId), new ConsumerConfig(name)
            {
                AckPolicy = ConsumerConfigAckPolicy.Explicit,
                // A new name starts with what is published from now on; an existing one resumes where it left off.
                DeliverPolicy = ConsumerConfigDeliverPolicy.New,
                AckWait = _durable.AckWait,
                MaxAckPending = _durable.MaxInFlight,
            }, cancellationToken).ConfigureAwait(false);
            ready.TrySetResult(); // from here on, every event published is kept for this consumer name
            var opts = new NatsJSConsumeOpts { MaxMsgs = Math.Min(_durable.MaxInFlight, 256) };
            await foreach (var msg in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default, opts, cancellationToken).ConfigureAwait(false))
            {
                if (msg.Metadata is { NumDelivered: > 1 }) Interlocked.Increment(ref _redelivered);
                var tag = (ulong)Interlocked.Increment(ref _nextTag);
                _held[tag] = msg;
                var signature = msg.Headers is { } hs && hs.TryGetValue("Ipc-Sig", out var sig) ? sig.ToString() : null;
                if (!await deliver(new ReadOnlySequence<byte>(msg.Data ?? []), tag, msg.Subject, signature).ConfigureAwait(false))
                    Handled(tag); // not an event this process can take (reported): acknowledged, or it would come back forever
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // unsubscribed or closing
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _options.ReportEventHandlerException(e as IpcException ?? new IpcException(
                $"Durable events of contract 0x{contractId:X8} stopped arriving from {_peer} (consumer {name} on stream {_address.Stream(contractId)}): {e.Message}", e));
            _fail($"the durable consumer {name} of contract 0x{contractId:X8} failed: {e.Message}");
        }
        catch (Exception)
        {
            // closing: nothing to report
        }
    }

    private static Completer Defer(TaskCompletionSource ready) => new(ready);

    /// <summary>Completes the readiness of a consumer that could not be created (the failure is reported separately).</summary>
    private readonly struct Completer(TaskCompletionSource ready) : IDisposable
    {
        public void Dispose() => ready.TrySetResult();
    }

    /// <summary>The core is done with the event under <paramref name="tag"/>: acknowledge it to the broker.</summary>
    public void Handled(ulong tag)
    {
        if (!_held.TryRemove(tag, out var msg)) return;
        var ack = AckAsync(msg);
        if (ack.IsCompleted) return;
        _acking.TryAdd(ack, 0);
        _ = ack.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, byte>)s!).TryRemove(t, out _), _acking, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static async Task AckAsync(INatsJSMsg<byte[]> msg)
    {
        try
        {
            await msg.AckAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is going: the broker delivers the event again after AckWait (at least once).
        }
    }

    /// <summary>
    /// Stops consuming and asks the broker to redeliver at once what this process holds but has not acknowledged (the
    /// alternative is waiting for AckWait); fails the Pongs still waiting for acknowledgements.
    /// </summary>
    public async Task StopAsync()
    {
        foreach (var id in _consumers.Keys) Unsubscribe(id);
        // Acknowledgements already on their way go out before the connection closes, so a clean stop redelivers nothing.
        var naks = _held.Values.Select(m => m.NakAsync().AsTask()).Concat(_acking.Keys).ToArray();
        _held.Clear();
        try { await Task.WhenAll(naks).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch { }
        _stopping.Cancel();
        lock (_lock)
        {
            foreach (var (_, done) in _waiters) done.TrySetCanceled();
            _waiters.Clear();
        }
    }
}
