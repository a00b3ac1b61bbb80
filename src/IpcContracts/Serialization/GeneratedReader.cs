using System.ComponentModel;
using System.Text.Json;

namespace IpcContracts.Serialization;

/// <summary>
/// A reader the generator emits for one payload type (docs/serialization.md, "Generated readers"): it reads the object
/// the reader is positioned on, from its <c>{</c> to its <c>}</c>, matching member names through <paramref name="names"/>,
/// and calls the type's constructor. It returns false for anything it does not handle exactly as System.Text.Json would
/// (a missing, repeated or unknown member, a <c>null</c>, a value of another token type), and the caller then reads the
/// same bytes again with System.Text.Json; so it never decides a result System.Text.Json would not.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate bool GeneratedReader<T>(ref Utf8JsonReader reader, GeneratedReaderNames names, out T value);
