using System.Text.Json.Serialization;

namespace IpcContracts.TestContracts;

// Payload types for the generated-reader tests (IpcContracts.Tests/Protocol/GeneratedReaderTests.cs): the generator
// emits a reader for the first four (one public constructor with parameters, simple member types) and none for the
// others; which ones the runtime then uses is decided against System.Text.Json's metadata.

/// <summary>Every value type a generated reader handles, plus a get-only member it skips.</summary>
public sealed record ReaderProbe(
    string Text, int Count, long Big, bool Flag, double Ratio, float Small, decimal Price, Guid Id, DateTime When, DateTimeOffset At)
{
    /// <summary>Written, never read back: System.Text.Json skips it when reading.</summary>
    public int TextLength => Text?.Length ?? -1;
}

/// <summary>A renamed member: the reader matches the name System.Text.Json writes.</summary>
public sealed record RenamedProbe([property: JsonPropertyName("label")] string Name, int Size);

/// <summary>An immutable class, not a record.</summary>
public sealed class ImmutableProbe
{
    public ImmutableProbe(string key, int value)
    {
        Key = key;
        Value = value;
    }

    public string Key { get; }

    public int Value { get; }

    public override bool Equals(object? obj) => obj is ImmutableProbe other && other.Key == Key && other.Value == Value;

    public override int GetHashCode() => HashCode.Combine(Key, Value);
}

/// <summary>A settable member outside the constructor: the runtime declines the reader.</summary>
public sealed record ExtraSetterProbe(string Name)
{
    public int Extra { get; set; }
}

/// <summary>A member of a type the reader does not handle: the generator emits none.</summary>
public sealed record ListProbe(string Name, List<int> Values)
{
    public bool Equals(ListProbe? other) => other is not null && other.Name == Name && (other.Values ?? []).SequenceEqual(Values ?? []);

    public override int GetHashCode() => Name?.GetHashCode(StringComparison.Ordinal) ?? 0;
}

/// <summary>The test types through this assembly's own options.</summary>
[JsonSerializable(typeof(ReaderProbe))]
[JsonSerializable(typeof(RenamedProbe))]
[JsonSerializable(typeof(ImmutableProbe))]
[JsonSerializable(typeof(ExtraSetterProbe))]
[JsonSerializable(typeof(ListProbe))]
public sealed partial class ReaderProbeJson : JsonSerializerContext;

/// <summary>Options a generated reader does not follow (case-insensitive names, numbers from strings): it must stand aside.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ReaderProbe))]
public sealed partial class LenientReaderProbeJson : JsonSerializerContext;

/// <summary>camelCase names: the reader must match "text", not "Text".</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ReaderProbe))]
public sealed partial class CamelReaderProbeJson : JsonSerializerContext;
