namespace IpcContracts;

/// <summary>
/// Names the <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> classes the generator
/// takes payload type metadata from. Without this attribute the generator uses every
/// <c>JsonSerializerContext</c> declared in the contracts assembly.
/// </summary>
/// <example><c>[assembly: IpcJsonContext(typeof(InventoryJson))]</c></example>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class IpcJsonContextAttribute : Attribute
{
    /// <summary>Registers <paramref name="contextType"/> as a payload metadata source.</summary>
    public IpcJsonContextAttribute(Type contextType) => ContextType = contextType;

    /// <summary>A class deriving from <c>JsonSerializerContext</c>.</summary>
    public Type ContextType { get; }
}
