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

    /// <summary>Registers a generated descriptor. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Register<TContract>(ContractDescriptor<TContract> descriptor) where TContract : class
    {
        Slot<TContract>.Descriptor = descriptor;
        s_byId[descriptor.Id] = descriptor;
    }

    /// <summary>The descriptor for <typeparamref name="TContract"/>, or null if it is not a generated contract.</summary>
    public static ContractDescriptor<TContract>? TryGet<TContract>() where TContract : class => Slot<TContract>.Descriptor;

    /// <summary>The descriptor for <typeparamref name="TContract"/>; throws a descriptive error if there is none.</summary>
    public static ContractDescriptor<TContract> Get<TContract>(ContractKind? expectedKind = null) where TContract : class
    {
        var d = Slot<TContract>.Descriptor ?? throw new IpcConfigurationException(
            $"{typeof(TContract).FullName} is not an IpcContracts contract. Mark the interface [RequestContract] or [EventContract] " +
            "in a project that references the IpcContracts generator, and make sure the contract is valid (see the IPC diagnostics).");
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
