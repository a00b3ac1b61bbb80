using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Runtime;

/// <summary>Argument tuple of a method without parameters.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct NoArgs
{
    /// <summary>Writes nothing: the payload is an empty JSON object.</summary>
    public static readonly ArgsWriter<NoArgs> Writer = static (_, _) => { };
}
