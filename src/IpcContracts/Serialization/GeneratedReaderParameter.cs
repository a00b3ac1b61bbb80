using System.ComponentModel;

namespace IpcContracts.Serialization;

/// <summary>
/// One parameter of the constructor a <see cref="GeneratedReader{T}"/> calls, as the generator saw it: its name and type,
/// which the runtime matches against System.Text.Json's own metadata before the reader is used.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GeneratedReaderParameter
{
    /// <summary>Describes constructor parameter <paramref name="name"/> of type <paramref name="type"/>.</summary>
    public GeneratedReaderParameter(string name, Type type)
    {
        Name = name;
        Type = type;
    }

    /// <summary>The parameter's name in C#.</summary>
    public string Name { get; }

    /// <summary>The parameter's type.</summary>
    public Type Type { get; }
}
