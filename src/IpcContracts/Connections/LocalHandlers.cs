using System.Collections.Concurrent;
using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>Which events a subscription is about: a contract (by ID) or an aggregator message type.</summary>
internal readonly record struct SubscriptionKey(bool Bus, uint Id);

/// <summary>
/// What one endpoint (a client, or a server and all its connections) handles and subscribes to.
/// Connections read it to dispatch and to build their Hello manifest.
/// </summary>
internal sealed class LocalHandlers
{
    private readonly ConcurrentDictionary<uint, RequestHandlerEntry> _requests = new();
    private readonly ConcurrentDictionary<(uint Contract, uint Method), RawHandlerEntry> _raw = new();
    private readonly ConcurrentDictionary<uint, BusRequestHandler> _busRequests = new();
    private readonly Lock _subscriptionLock = new();
    private readonly Dictionary<SubscriptionKey, EventSubscriber[]> _subscribers = [];
    private Dictionary<SubscriptionKey, EventSubscriber[]> _published = [];
    // Copy-on-write: a listener may unregister while being notified (a failed inline send faults its connection).
    private Action<SubscriptionKey, bool>[] _subscriptionListeners = [];
    private readonly Lock _busHandlerLock = new();
    private Action<BusRequestHandler, bool>[] _busHandlerListeners = [];

    public IpcOptions Options { get; }

    /// <summary>
    /// Set by <see cref="IpcServer.DrainAsync"/>: new requests are refused so those in flight can finish. Volatile, so
    /// every connection's reader sees it as soon as the drain has started counting what is in flight.
    /// </summary>
    public bool Draining
    {
        get => Volatile.Read(ref _draining);
        set => Volatile.Write(ref _draining, value);
    }

    private bool _draining;

    public LocalHandlers(IpcOptions options) => Options = options;

    public void AddRequestHandler(RequestHandlerEntry entry)
    {
        if (!_requests.TryAdd(entry.Contract.Id, entry))
            throw new IpcConfigurationException($"A handler for contract '{entry.Contract.Alias}' is already registered.");
    }

    public RequestHandlerEntry? FindRequestHandler(uint contractId) => _requests.GetValueOrDefault(contractId);

    public void AddRawHandler(string contractAlias, string method, Func<RawCall, ValueTask<string?>> handler)
    {
        var contract = ContractRegistry.All.FirstOrDefault(c => c.Alias == contractAlias);
        var contractId = contract?.Id ?? Fnv1a.Hash32(contractAlias);
        var methodId = contract?.Methods.FirstOrDefault(m => m.Name == method)?.Id ?? Fnv1a.Hash32(method);
        if (!_raw.TryAdd((contractId, methodId), new RawHandlerEntry(contractAlias, method, handler)))
            throw new IpcConfigurationException($"A handler for '{contractAlias}.{method}' is already registered.");
    }

    public RawHandlerEntry? FindRawHandler(uint contractId, uint methodId) => _raw.GetValueOrDefault((contractId, methodId));

    public BusRequestHandler AddBusRequestHandler(BusRequestHandler handler)
    {
        // Under the lock that registers listeners: a listener hears every handler exactly once, from its snapshot or from here.
        lock (_busHandlerLock)
        {
            if (!_busRequests.TryAdd(handler.RequestTypeId, handler))
                throw new IpcConfigurationException($"A request handler for '{handler.Name}' is already registered.");
            foreach (var l in _busHandlerListeners) l(handler, true);
        }
        return handler;
    }

    public void RemoveBusRequestHandler(BusRequestHandler handler)
    {
        lock (_busHandlerLock)
        {
            if (_busRequests.TryRemove(new KeyValuePair<uint, BusRequestHandler>(handler.RequestTypeId, handler)))
                foreach (var l in _busHandlerListeners) l(handler, false);
        }
    }

    /// <summary>
    /// Registers a listener for aggregator request handlers (a transport with <see cref="Transports.TransportFeatures.BusHandlerChanges"/>)
    /// and tells it, under the same lock, of every handler registered now; later additions and removals follow in order.
    /// </summary>
    public void ListenToBusHandlers(Action<BusRequestHandler, bool> listener)
    {
        lock (_busHandlerLock)
        {
            _busHandlerListeners = [.. _busHandlerListeners, listener];
            foreach (var h in _busRequests.Values) listener(h, true);
        }
    }

    public void StopListeningToBusHandlers(Action<BusRequestHandler, bool> listener)
    {
        lock (_busHandlerLock) _busHandlerListeners = _busHandlerListeners.Where(l => l != listener).ToArray();
    }

    public BusRequestHandler? FindBusRequestHandler(uint requestTypeId) => _busRequests.GetValueOrDefault(requestTypeId);

    /// <summary>Adds a subscriber; the returned token removes it. Listeners hear 0-to-1 and 1-to-0 changes, in order.</summary>
    public IDisposable AddSubscriber(SubscriptionKey key, EventSubscriber subscriber)
    {
        lock (_subscriptionLock)
        {
            _subscribers.TryGetValue(key, out var current);
            current ??= [];
            _subscribers[key] = [.. current.Where(s => s.IsAlive), subscriber];
            Publish();
            if (current.Length == 0) Notify(key, true);
        }
        return new SubscriptionToken(this, key, subscriber);
    }

    private void RemoveSubscriber(SubscriptionKey key, EventSubscriber subscriber)
    {
        lock (_subscriptionLock)
        {
            if (!_subscribers.TryGetValue(key, out var current)) return;
            var remaining = current.Where(s => s != subscriber && s.IsAlive).ToArray();
            if (remaining.Length == 0)
            {
                _subscribers.Remove(key);
                Publish();
                Notify(key, false);
            }
            else
            {
                _subscribers[key] = remaining;
                Publish();
            }
        }
    }

    /// <summary>Lock-free: every received event reads it, and must never wait behind a subscribe or unsubscribe.</summary>
    public EventSubscriber[] GetSubscribers(SubscriptionKey key) => Volatile.Read(ref _published).GetValueOrDefault(key) ?? [];

    // Under the lock, after every change: a copy readers use without the lock.
    private void Publish() => Volatile.Write(ref _published, new Dictionary<SubscriptionKey, EventSubscriber[]>(_subscribers));

    /// <summary>
    /// Registers a listener and hands the keys subscribed right now to <paramref name="snapshot"/>, under
    /// the same lock, so whatever the snapshot queues (the Hello) precedes every change the listener hears.
    /// </summary>
    public void ListenToSubscriptions(Action<SubscriptionKey, bool> listener, Action<SubscriptionKey[]> snapshot)
    {
        lock (_subscriptionLock)
        {
            _subscriptionListeners = [.. _subscriptionListeners, listener];
            snapshot([.. _subscribers.Keys]);
        }
    }

    public void StopListening(Action<SubscriptionKey, bool> listener)
    {
        lock (_subscriptionLock) _subscriptionListeners = _subscriptionListeners.Where(l => l != listener).ToArray();
    }

    private void Notify(SubscriptionKey key, bool added)
    {
        foreach (var l in _subscriptionListeners) l(key, added); // iterates the snapshot taken here
    }

    /// <summary>The Hello payload: every known contract, what this endpoint handles and wants.</summary>
    public Manifest BuildManifest(IReadOnlyCollection<SubscriptionKey> subscriptions)
    {
        var manifest = new Manifest { Protocol = FrameHeader.CurrentVersion, Name = Options.ProcessName };
        var byId = new Dictionary<uint, ManifestContract>();
        foreach (var c in ContractRegistry.All)
        {
            var mc = new ManifestContract { Id = c.Id, Alias = c.Alias, Kind = c.Kind, Handled = _requests.ContainsKey(c.Id) };
            foreach (var m in c.Methods)
                mc.Methods.Add(new ManifestMethod { Id = m.Id, Name = m.Name, Fingerprint = m.ShapeFingerprint, Signature = m.Signature });
            byId[c.Id] = mc;
            manifest.Contracts.Add(mc);
        }
        foreach (var ((contractId, methodId), raw) in _raw)
        {
            if (!byId.TryGetValue(contractId, out var mc))
            {
                mc = new ManifestContract { Id = contractId, Alias = raw.ContractAlias, Kind = ContractKind.Request };
                byId[contractId] = mc;
                manifest.Contracts.Add(mc);
            }
            mc.Handled = true;
            if (mc.Methods.All(m => m.Id != methodId))
                mc.Methods.Add(new ManifestMethod { Id = methodId, Name = raw.Method, Fingerprint = 0, Signature = "untyped" });
        }
        foreach (var h in _busRequests.Values)
            manifest.BusHandles.Add(new ManifestMethod { Id = h.RequestTypeId, Name = h.Name, Fingerprint = h.Fingerprint });
        foreach (var key in subscriptions)
            (key.Bus ? manifest.BusSubscribes : manifest.Subscribes).Add(key.Id);
        return manifest;
    }

    private sealed class SubscriptionToken(LocalHandlers owner, SubscriptionKey key, EventSubscriber subscriber) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.RemoveSubscriber(key, subscriber);
        }
    }
}
