namespace IpcContracts;

/// <summary>
/// Marks an interface as a one-way event contract: every method is an event fanned out to every
/// subscriber of the contract. Methods return <c>void</c>, <see cref="Task"/> or <see cref="ValueTask"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class EventContractAttribute : Attribute
{
    /// <summary>Uses the interface's full name as the alias.</summary>
    public EventContractAttribute() { }

    /// <summary>Uses <paramref name="alias"/> as the stable wire name of the contract.</summary>
    public EventContractAttribute(string alias) => Alias = alias;

    /// <summary>Stable wire name; the wire ID is derived from it.</summary>
    public string? Alias { get; }

    /// <summary>Explicit numeric wire ID (non-zero) that replaces the hash of the alias.</summary>
    public uint Id { get; set; }
}
