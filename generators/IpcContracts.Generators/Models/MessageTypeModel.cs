namespace IpcContracts.Generators.Models
{
    /// <summary>A type registered with MessageTypeRegistry and given an <c>IpcJsonTypes</c> property.</summary>
    /// <param name="Id">FNV-1a 32 of the canonical name.</param>
    /// <param name="Reader">When set, <c>IpcJsonTypes</c> gets a generated reader for the type and the module initializer registers it.</param>
    internal sealed record MessageTypeModel(string MetadataCode, string CanonicalName, string PropertyName, uint Id, ReaderShape? Reader = null);
}
