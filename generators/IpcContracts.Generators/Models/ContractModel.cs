namespace IpcContracts.Generators.Models
{
    /// <summary>A valid contract interface: everything needed to emit its descriptor, proxy and dispatcher.</summary>
    /// <param name="InterfaceCode">The interface, <c>global::</c>-qualified.</param>
    /// <param name="FullName">Namespace, containing types and name joined with '.'.</param>
    /// <param name="Alias">Wire name (the attribute's alias, else <see cref="FullName"/>).</param>
    /// <param name="Id">Wire ID: the attribute's <c>Id</c>, else FNV-1a 32 of <see cref="Alias"/>.</param>
    /// <param name="DescriptorName">Generated descriptor class name, unique per full name.</param>
    /// <param name="HintName">Generated file name.</param>
    /// <param name="Listener">For an event contract, its listener base class; null for requests and when it cannot be emitted (ListenerParser says why).</param>
    internal sealed record ContractModel(
        string InterfaceCode,
        string FullName,
        string Alias,
        uint Id,
        bool IsEvent,
        string DescriptorName,
        string HintName,
        EquatableArray<MethodModel> Methods,
        ListenerModel? Listener = null);
}
