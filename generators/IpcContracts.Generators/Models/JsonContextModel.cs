namespace IpcContracts.Generators.Models
{
    /// <summary>A user JsonSerializerContext that generated code can reach, with its [JsonSerializable] types.</summary>
    /// <param name="Code">The context class, <c>global::</c>-qualified (its <c>Default</c> is the resolver).</param>
    internal sealed record JsonContextModel(string Code, EquatableArray<MessageTypeModel> SerializableTypes);
}
