namespace IpcContracts;

/// <summary>
/// Optional per-method wire identity. Use it to keep a method's ID stable across a rename, or to
/// give overloads distinct aliases (method IDs come from names).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ContractMethodAttribute : Attribute
{
    /// <summary>Keeps the default alias (the method name).</summary>
    public ContractMethodAttribute() { }

    /// <summary>Uses <paramref name="alias"/> as the method's stable wire name.</summary>
    public ContractMethodAttribute(string alias) => Alias = alias;

    /// <summary>Stable wire name of the method; default is the method name.</summary>
    public string? Alias { get; }

    /// <summary>Explicit numeric method ID (non-zero) that replaces the hash of the alias.</summary>
    public uint Id { get; set; }
}
