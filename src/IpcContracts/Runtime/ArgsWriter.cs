using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Runtime;

/// <summary>Writes a method's arguments as the members of one JSON object. Emitted by the generator.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void ArgsWriter<TArgs>(Utf8JsonWriter writer, TArgs args);
