namespace IpcContracts;

/// <summary>
/// Marks an interface as a request/response contract: every method is a call with exactly one
/// handler on the peer. The generator emits a proxy, a dispatcher and registry entries for it.
/// </summary>
/// <remarks>The wire ID is the FNV-1a hash of <see cref="Alias"/> (default: the interface's full
/// name) unless <see cref="Id"/> overrides it.</remarks>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class RequestContractAttribute : Attribute
{
    /// <summary>Uses the interface's full name as the alias.</summary>
    public RequestContractAttribute() { }

    /// <summary>Uses <paramref name="alias"/> as the stable wire name of the contract.</summary>
    public RequestContractAttribute(string alias) => Alias = alias;

    /// <summary>Stable wire name; the wire ID is derived from it.</summary>
    public string? Alias { get; }

    /// <summary>Explicit numeric wire ID (non-zero) that replaces the hash of the alias.</summary>
    public uint Id { get; set; }
}
