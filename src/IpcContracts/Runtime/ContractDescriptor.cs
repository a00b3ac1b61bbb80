using System.ComponentModel;

namespace IpcContracts.Runtime;

/// <summary>Everything the runtime knows about one contract. Emitted by the generator.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ContractDescriptor
{
    private readonly Dictionary<uint, MethodDescriptor> _byId;

    /// <summary>Creates the descriptor and links each method back to it.</summary>
    protected ContractDescriptor(uint id, string alias, ContractKind kind, string interfaceName, MethodDescriptor[] methods)
    {
        Id = id;
        Alias = alias;
        Kind = kind;
        InterfaceName = interfaceName;
        Methods = methods;
        _byId = new Dictionary<uint, MethodDescriptor>(methods.Length);
        foreach (var m in methods)
        {
            m.Contract = this;
            _byId[m.Id] = m;
        }
    }

    /// <summary>Contract wire ID.</summary>
    public uint Id { get; }

    /// <summary>Contract alias (default: the interface's full name).</summary>
    public string Alias { get; }

    /// <summary>Request or event contract.</summary>
    public ContractKind Kind { get; }

    /// <summary>The C# interface's full name, for messages.</summary>
    public string InterfaceName { get; }

    /// <summary>The methods, in declaration order.</summary>
    public IReadOnlyList<MethodDescriptor> Methods { get; }

    /// <summary>Finds a method by wire ID.</summary>
    public MethodDescriptor? FindMethod(uint methodId) => _byId.GetValueOrDefault(methodId);
}

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
