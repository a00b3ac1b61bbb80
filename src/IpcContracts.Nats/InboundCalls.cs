namespace IpcContracts.Nats;

/// <summary>
/// The calls a connection is handling: each one's local correlation ID, the reply subject it answers on and the caller's
/// own ID. Found by local ID (replies, stream items, a handler's callbacks) and by reply subject (Cancel, StreamCredit and
/// argument-stream items, which name the call by its reply subject). Both maps change together under one lock, and
/// dictionaries reuse their entries where concurrent ones allocate a node per call.
/// </summary>
internal sealed class InboundCalls
{
    private readonly Dictionary<ulong, (string ReplyTo, ulong CallerId)> _byLocal = new();
    private readonly Dictionary<string, ulong> _byReply = new(StringComparer.Ordinal);

    public void Add(ulong local, string replyTo, ulong callerId)
    {
        lock (_byLocal)
        {
            _byLocal[local] = (replyTo, callerId);
            _byReply[replyTo] = local;
        }
    }

    public bool TryGetValue(ulong local, out (string ReplyTo, ulong CallerId) call)
    {
        lock (_byLocal) return _byLocal.TryGetValue(local, out call);
    }

    public bool TryFind(string replyTo, out ulong local)
    {
        lock (_byLocal) return _byReply.TryGetValue(replyTo, out local);
    }

    /// <summary>The call ends: it is forgotten under both keys.</summary>
    public bool TryRemove(ulong local, out (string ReplyTo, ulong CallerId) call)
    {
        lock (_byLocal)
        {
            if (!_byLocal.Remove(local, out call)) return false;
            // A caller that reused its reply subject for a newer call (not done, but possible) keeps that call's entry.
            if (_byReply.TryGetValue(call.ReplyTo, out var current) && current == local) _byReply.Remove(call.ReplyTo);
            return true;
        }
    }
}
