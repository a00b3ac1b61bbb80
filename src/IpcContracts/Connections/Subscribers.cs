using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>Receives events of one contract or one aggregator message type.</summary>
internal abstract class EventSubscriber
{
    /// <summary>False once a weakly held target has been collected; the entry is then dropped.</summary>
    public abstract bool IsAlive { get; }

    /// <summary>Parses the payload (before any await) and invokes the target.</summary>
    public abstract ValueTask DeliverAsync(InboundCall call);
}

internal sealed class ContractSubscriber<TContract> : EventSubscriber where TContract : class
{
    private readonly ContractDescriptor<TContract> _contract;
    private readonly TContract? _strong;
    private readonly WeakReference<TContract>? _weak;

    public ContractSubscriber(ContractDescriptor<TContract> contract, TContract target, bool weak)
    {
        _contract = contract;
        if (weak) _weak = new WeakReference<TContract>(target);
        else _strong = target;
    }

    public override bool IsAlive => _strong is not null || (_weak is not null && _weak.TryGetTarget(out _));

    public override ValueTask DeliverAsync(InboundCall call)
    {
        var target = _strong;
        if (target is null && (_weak is null || !_weak.TryGetTarget(out target))) return default;
        return _contract.DispatchAsync(target, call);
    }
}

/// <summary>An aggregator subscriber: invoked directly for local publishes, from JSON for remote ones.</summary>
/// <remarks>In weak mode the user's own delegate is the weakly held object, never a wrapper of ours
/// (a wrapper nothing else references would vanish at the next GC).</remarks>
internal sealed class MessageSubscriber<T> : EventSubscriber
{
    private readonly MessageType<T> _type;
    private readonly Delegate? _strong;
    private readonly WeakReference<Delegate>? _weak;

    public MessageSubscriber(MessageType<T> type, Delegate handler, bool weak)
    {
        _type = type;
        if (weak) _weak = new WeakReference<Delegate>(handler);
        else _strong = handler;
    }

    public override bool IsAlive => _strong is not null || (_weak is not null && _weak.TryGetTarget(out _));

    public Task InvokeLocalAsync(T message)
    {
        var handler = _strong;
        if (handler is null && (_weak is null || !_weak.TryGetTarget(out handler))) return Task.CompletedTask;
        switch (handler)
        {
            case Action<T> action:
                action(message);
                return Task.CompletedTask;
            case Func<T, Task> func:
                return func(message);
            default:
                return Task.CompletedTask;
        }
    }

    public override ValueTask DeliverAsync(InboundCall call)
    {
        var value = PayloadJson.Read(call.Payload, _type.TypeInfo, _type.Name);
        return new ValueTask(InvokeLocalAsync(value));
    }
}
