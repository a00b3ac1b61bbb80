namespace IpcContracts.Generators.Models
{
    /// <summary>What the per-assembly files (IpcJsonTypes, module initializer) need, aggregated from every contract and context.</summary>
    /// <param name="Contracts">Descriptors to register, sorted by full name.</param>
    /// <param name="Contexts">Context classes the serializer options combine, in a stable order.</param>
    /// <param name="MessageTypes">Distinct payload and [JsonSerializable] types, sorted by canonical name.</param>
    internal sealed record AssemblyModel(
        EquatableArray<ContractRegistration> Contracts,
        EquatableArray<string> Contexts,
        EquatableArray<MessageTypeModel> MessageTypes);

    /// <summary>The part of a contract the module initializer needs.</summary>
    internal sealed record ContractRegistration(string InterfaceCode, string DescriptorName);
}
