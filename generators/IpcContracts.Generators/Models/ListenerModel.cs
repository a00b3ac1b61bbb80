namespace IpcContracts.Generators.Models
{
    /// <summary>
    /// Where and how to emit an event contract's listener base class (see ListenerEmitter for the design).
    /// </summary>
    /// <param name="Namespace">The contract's namespace as C# source (keywords escaped), or null for the global namespace.</param>
    /// <param name="Containers">The partial types around a nested contract, outermost first; empty for a top-level contract.</param>
    /// <param name="Name">The listener's simple name, e.g. <c>InventoryEventsListener</c>.</param>
    /// <param name="Accessibility">The contract's declared accessibility as C# modifiers (<c>public</c>, <c>internal</c>, ...).</param>
    /// <param name="ObsoleteAttribute">The contract's <c>[Obsolete]</c> as source, so deriving from the listener warns like implementing the interface; else null.</param>
    /// <param name="HintName">Generated file name.</param>
    internal sealed record ListenerModel(
        string? Namespace,
        EquatableArray<ListenerContainer> Containers,
        string Name,
        string Accessibility,
        string? ObsoleteAttribute,
        string HintName);
}
