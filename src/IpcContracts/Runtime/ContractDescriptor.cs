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
