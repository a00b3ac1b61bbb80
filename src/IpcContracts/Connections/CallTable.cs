using System.Diagnostics.CodeAnalysis;

namespace IpcContracts.Connections;

/// <summary>
/// Calls in flight by correlation ID (outbound calls waiting for a reply, inbound requests being handled), with the subset
/// of <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}"/> the connection uses.
/// </summary>
/// <remarks>
/// A <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}"/> allocates a node (48 bytes) for every
/// entry it adds, so every call paid it twice (caller and handler). A <see cref="Dictionary{TKey, TValue}"/> reuses its
/// entries once it has grown to the number of calls in flight; one short lock per operation guards it (the reader thread
/// and the calling threads take it briefly, never while running anything else). The enumerations take a snapshot, so
/// nothing runs under the lock: they are for the timer and for closing, not for each call.
/// </remarks>
internal sealed class CallTable<TValue> where TValue : class
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, TValue> _entries = [];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public bool IsEmpty => Count == 0;

    /// <summary>Adds or replaces.</summary>
    public TValue this[ulong key]
    {
        set
        {
            lock (_lock)
            {
                _entries[key] = value;
                _count = _entries.Count;
            }
        }
    }

    public bool TryAdd(ulong key, TValue value)
    {
        lock (_lock)
        {
            if (!_entries.TryAdd(key, value)) return false;
            _count = _entries.Count;
            return true;
        }
    }

    public bool TryGetValue(ulong key, [MaybeNullWhen(false)] out TValue value)
    {
        lock (_lock) return _entries.TryGetValue(key, out value);
    }

    /// <summary>Removes the entry only if it is still <paramref name="item"/>'s value (the same object).</summary>
    public bool TryRemove(KeyValuePair<ulong, TValue> item)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(item.Key, out var current) || !ReferenceEquals(current, item.Value)) return false;
            _entries.Remove(item.Key);
            _count = _entries.Count;
            return true;
        }
    }

    public bool TryRemove(ulong key, [MaybeNullWhen(false)] out TValue value)
    {
        lock (_lock)
        {
            if (!_entries.Remove(key, out value)) return false;
            _count = _entries.Count;
            return true;
        }
    }

    /// <summary>A snapshot of the keys.</summary>
    public ulong[] Keys
    {
        get
        {
            lock (_lock) return [.. _entries.Keys];
        }
    }

    /// <summary>A snapshot of the values.</summary>
    public TValue[] Values
    {
        get
        {
            lock (_lock) return [.. _entries.Values];
        }
    }

    /// <summary>A snapshot of the entries.</summary>
    public IEnumerator<KeyValuePair<ulong, TValue>> GetEnumerator()
    {
        KeyValuePair<ulong, TValue>[] snapshot;
        lock (_lock) snapshot = [.. _entries];
        return ((IEnumerable<KeyValuePair<ulong, TValue>>)snapshot).GetEnumerator();
    }
}
