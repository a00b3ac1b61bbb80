using System.ComponentModel;

namespace IpcContracts.Runtime;

/// <summary>Typed descriptor: creates proxies and dispatches inbound calls to an implementation.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ContractDescriptor<TContract> : ContractDescriptor where TContract : class
{
    /// <summary>Creates the descriptor.</summary>
    protected ContractDescriptor(uint id, string alias, ContractKind kind, string interfaceName, MethodDescriptor[] methods)
        : base(id, alias, kind, interfaceName, methods) { }

    /// <summary>A proxy (request contracts) or publisher (event contracts) sending through <paramref name="channel"/>.</summary>
    public abstract TContract CreateProxy(IOutboundChannel channel);

    /// <summary>
    /// Invokes the method named by <see cref="InboundCall.MethodId"/> on <paramref name="target"/>.
    /// Arguments are parsed before the first await, so the payload may be released as soon as this returns.
    /// </summary>
    public abstract ValueTask DispatchAsync(TContract target, InboundCall call);
}
