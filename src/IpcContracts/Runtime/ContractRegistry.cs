using System.Collections.Concurrent;
using System.ComponentModel;

namespace IpcContracts.Runtime;

/// <summary>
/// Process-wide table of generated contract descriptors, filled by generated module initializers.
/// Lookups by interface go through a static generic slot, so no reflection is involved.
/// </summary>
public static class ContractRegistry
{
    private static readonly ConcurrentDictionary<uint, ContractDescriptor> s_byId = new();
    private static readonly ConcurrentDictionary<uint, string> s_conflicts = new();

    /// <summary>Registers a generated descriptor. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Register<TContract>(ContractDescriptor<TContract> descriptor) where TContract : class
    {
        Slot<TContract>.Descriptor = descriptor;
        var kept = s_byId.GetOrAdd(descriptor.Id, descriptor);
        // Two interfaces with one wire ID would take each other's calls. IPC0015/IPC0016 stop this at build
        // time; if assemblies built apart still meet here, both contracts refuse to work, with a reason.
        if (!ReferenceEquals(kept, descriptor) && kept.InterfaceName != descriptor.InterfaceName)
            s_conflicts[descriptor.Id] =
                $"{kept.InterfaceName} ('{kept.Alias}') and {descriptor.InterfaceName} ('{descriptor.Alias}') both have wire ID 0x{descriptor.Id:X8}. " +
                "Give one of them another alias or an explicit Id (diagnostics IPC0015/IPC0016 report this at build time).";
    }

    /// <summary>The descriptor for <typeparamref name="TContract"/>, or null if it is not a generated contract.</summary>
    public static ContractDescriptor<TContract>? TryGet<TContract>() where TContract : class => Slot<TContract>.Descriptor;

    /// <summary>The descriptor for <typeparamref name="TContract"/>; throws a descriptive error if there is none.</summary>
    public static ContractDescriptor<TContract> Get<TContract>(ContractKind? expectedKind = null) where TContract : class
    {
        var d = Slot<TContract>.Descriptor ?? throw new IpcConfigurationException(
            $"{typeof(TContract).FullName} is not an IpcContracts contract. Mark the interface [RequestContract] or [EventContract] " +
            "in a project that references the IpcContracts generator, and make sure the contract is valid (see the IPC diagnostics).");
        if (s_conflicts.TryGetValue(d.Id, out var conflict)) throw new IpcConfigurationException(conflict);
        if (expectedKind is { } k && d.Kind != k)
            throw new IpcConfigurationException(
                $"{d.InterfaceName} is a{(d.Kind == ContractKind.Event ? "n event" : " request")} contract; this API needs a{(k == ContractKind.Event ? "n [EventContract]" : " [RequestContract]")} interface.");
        return d;
    }

    /// <summary>Finds a registered contract by wire ID.</summary>
    public static ContractDescriptor? Find(uint contractId) => s_byId.GetValueOrDefault(contractId);

    /// <summary>Every registered contract.</summary>
    public static IEnumerable<ContractDescriptor> All => s_byId.Values;

    private static class Slot<TContract> where TContract : class
    {
        public static ContractDescriptor<TContract>? Descriptor;
    }
}
