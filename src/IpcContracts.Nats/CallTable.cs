namespace IpcContracts.Nats;

/// <summary>
/// A dictionary under a lock, for the per-call tables of <see cref="NatsBrokerConnection"/>: every call adds and removes an
/// entry, and a <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}"/> allocates a node for each
/// add, where a <see cref="Dictionary{TKey, TValue}"/> reuses its entry arrays. Few threads touch a table (the NATS client's
/// reader and the connection's sender), each for a moment, so the lock is mostly uncontended.
/// </summary>
internal sealed class CallTable<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _entries;

    public CallTable(IEqualityComparer<TKey>? comparer = null) => _entries = new Dictionary<TKey, TValue>(comparer);

    public TValue this[TKey key]
    {
        set
        {
            lock (_entries) _entries[key] = value;
        }
    }

    public bool TryGetValue(TKey key, out TValue value)
    {
        lock (_entries) return _entries.TryGetValue(key, out value!);
    }

    public bool ContainsKey(TKey key)
    {
        lock (_entries) return _entries.ContainsKey(key);
    }

    public bool TryRemove(TKey key, out TValue value)
    {
        lock (_entries) return _entries.Remove(key, out value!);
    }
}
