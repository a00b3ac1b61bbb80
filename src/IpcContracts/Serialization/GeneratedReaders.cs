using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Serialization;

/// <summary>
/// The generated reader for <typeparamref name="T"/>, if the generator emitted one (the module initializer of the
/// assembly that uses the type as a payload registers it), and for which <see cref="JsonTypeInfo{T}"/>s it may be used
/// (docs/serialization.md, "Generated readers"). Every payload read tries it first; it costs a reference comparison when
/// there is none.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedReaders<T>
{
    private static Registration? s_registration;
    private static Decision? s_last;
    private static Decision[] s_decisions = [];
    private static readonly Lock s_gate = new();

    /// <summary>
    /// Registers the generated reader. Every assembly that uses <typeparamref name="T"/> as a payload emits the same
    /// reader for it; the first registration is kept.
    /// </summary>
    public static void Register(GeneratedReaderParameter[] parameters, GeneratedReader<T> read)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(read);
        Interlocked.CompareExchange(ref s_registration, new Registration(parameters, read), null);
    }

    /// <summary>
    /// Reads the object the reader is on with the generated reader, if there is one usable with
    /// <paramref name="typeInfo"/> and it handles these bytes; otherwise false, with the reader where it was, for
    /// System.Text.Json to read.
    /// </summary>
    internal static bool TryRead(ref Utf8JsonReader reader, JsonTypeInfo<T> typeInfo, out T value)
    {
        var registration = s_registration;
        if (registration is not null && reader.TokenType == JsonTokenType.StartObject)
        {
            var last = s_last;
            var names = last is not null && ReferenceEquals(last.TypeInfo, typeInfo) ? last.Names : Decide(registration, typeInfo).Names;
            if (names is not null)
            {
                // The one copy of the reader the fast path costs (~120 instructions: a Utf8JsonReader holds object
                // references, so the copy goes through the runtime's write-barrier helper); it is what makes handing the
                // object back to System.Text.Json possible.
                var start = reader;
                try
                {
                    if (registration.Read(ref reader, names, out value))
                        return true;
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException)
                {
                    // Malformed JSON (or a value the reader's Get* refuses): System.Text.Json reads it again and reports
                    // the error in its own words.
                }
                reader = start;
            }
        }
        value = default!;
        return false;
    }

    /// <summary>Null when the generated reader is used with <paramref name="typeInfo"/>, else why not (tests, diagnostics).</summary>
    internal static string? WhyNotUsed(JsonTypeInfo<T> typeInfo) =>
        s_registration is { } registration ? Decide(registration, typeInfo).WhyNot : "no generated reader is registered";

    private static Decision Decide(Registration registration, JsonTypeInfo<T> typeInfo)
    {
        if (Find(typeInfo) is { } known)
            return s_last = known;
        lock (s_gate)
        {
            if (Find(typeInfo) is { } decided)
                return s_last = decided;
            var names = GeneratedReaderCheck.Check(typeInfo, registration.Parameters, out var whyNot);
            var decision = new Decision(typeInfo, names, whyNot);
            // Few JsonTypeInfos per type ever exist (one per IpcJsonTypes options), so copying on write is fine.
            Volatile.Write(ref s_decisions, [.. s_decisions, decision]);
            return s_last = decision;
        }
    }

    private static Decision? Find(JsonTypeInfo<T> typeInfo)
    {
        foreach (var known in Volatile.Read(ref s_decisions))
        {
            if (ReferenceEquals(known.TypeInfo, typeInfo))
                return known;
        }
        return null;
    }

    private sealed record Registration(GeneratedReaderParameter[] Parameters, GeneratedReader<T> Read);

    private sealed record Decision(JsonTypeInfo<T> TypeInfo, GeneratedReaderNames? Names, string? WhyNot);
}
