using System.ComponentModel;
using System.Text.Json;

namespace IpcContracts.Serialization;

/// <summary>
/// The member names a <see cref="GeneratedReader{T}"/> matches, taken from System.Text.Json's metadata for the type (so a
/// naming policy or <c>[JsonPropertyName]</c> is honoured exactly as System.Text.Json honours it), each mapped to the
/// position of the constructor parameter it fills, or to "skip" for a member System.Text.Json writes but never reads
/// back (a get-only property the constructor does not take). Built once per <c>JsonTypeInfo</c> by
/// <see cref="GeneratedReaders{T}"/>, after the metadata has been checked against the generator's view of the type.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GeneratedReaderNames
{
    /// <summary><see cref="Next"/>: the object's closing brace was reached.</summary>
    public const int End = -1;

    /// <summary><see cref="Next"/>: something the generated reader does not handle; it returns false.</summary>
    public const int Unhandled = -2;

    /// <summary>A target meaning: skip this member's value.</summary>
    internal const int Skipped = -3;

    private readonly byte[][] _names;
    private readonly int[] _targets;

    internal GeneratedReaderNames(byte[][] names, int[] targets)
    {
        _names = names;
        _targets = targets;
    }

    /// <summary>
    /// Reads the next member name, then moves the reader onto its value and returns the constructor position the value
    /// fills; members to skip are skipped here. <paramref name="hint"/> is where the search for the name starts (members
    /// nearly always arrive in metadata order, so the count read so far finds the name first time).
    /// </summary>
    public int Next(ref Utf8JsonReader reader, int hint)
    {
        while (true)
        {
            if (!reader.Read())
                return Unhandled;
            if (reader.TokenType == JsonTokenType.EndObject)
                return End;
            if (reader.TokenType != JsonTokenType.PropertyName)
                return Unhandled;
            var target = Match(ref reader, hint);
            if (target == Unhandled || !reader.Read())
                return Unhandled;
            if (target != Skipped)
                return target;
            // A payload is a whole frame in memory, so TrySkip only fails on a truncated value.
            if (!reader.TrySkip())
                return Unhandled;
        }
    }

    private int Match(ref Utf8JsonReader reader, int hint)
    {
        var count = _names.Length;
        if ((uint)hint >= (uint)count)
            hint = 0;
        for (var i = hint; i < count; i++)
        {
            if (reader.ValueTextEquals(_names[i]))
                return _targets[i];
        }
        for (var i = 0; i < hint; i++)
        {
            if (reader.ValueTextEquals(_names[i]))
                return _targets[i];
        }
        return Unhandled;
    }
}
