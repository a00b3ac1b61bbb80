using System.ComponentModel;
using System.Text.Json;

namespace IpcContracts.Serialization;

/// <summary>
/// The values a <see cref="GeneratedReader{T}"/> reads, each exactly as System.Text.Json's built-in converter reads it
/// under strict number handling (the only configuration a generated reader is used with); false for any other token, so
/// the whole object is read again by System.Text.Json, which then decides (a <c>null</c> included: whether it is allowed
/// depends on options the reader does not model).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedReaderValues
{
    /// <summary>A JSON string; <c>null</c> is left to System.Text.Json.</summary>
    public static bool String(ref Utf8JsonReader reader, out string value)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.GetString()!;
            return true;
        }
        value = null!;
        return false;
    }

    /// <summary><c>true</c> or <c>false</c>.</summary>
    public static bool Boolean(ref Utf8JsonReader reader, out bool value)
    {
        value = reader.TokenType == JsonTokenType.True;
        return value || reader.TokenType == JsonTokenType.False;
    }

    /// <summary>A JSON number that fits an <see cref="int"/>.</summary>
    public static bool Int32(ref Utf8JsonReader reader, out int value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out value);
    }

    /// <summary>A JSON number that fits a <see cref="long"/>.</summary>
    public static bool Int64(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
    }

    /// <summary>A JSON number read as a <see cref="double"/>.</summary>
    public static bool Double(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out value);
    }

    /// <summary>A JSON number read as a <see cref="float"/>.</summary>
    public static bool Single(ref Utf8JsonReader reader, out float value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetSingle(out value);
    }

    /// <summary>A JSON number read as a <see cref="decimal"/>.</summary>
    public static bool Decimal(ref Utf8JsonReader reader, out decimal value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out value);
    }

    /// <summary>A JSON string holding a <see cref="System.Guid"/>.</summary>
    public static bool Guid(ref Utf8JsonReader reader, out Guid value)
    {
        value = default;
        return reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out value);
    }

    /// <summary>A JSON string holding an ISO 8601 <see cref="System.DateTime"/>.</summary>
    public static bool DateTime(ref Utf8JsonReader reader, out DateTime value)
    {
        value = default;
        return reader.TokenType == JsonTokenType.String && reader.TryGetDateTime(out value);
    }

    /// <summary>A JSON string holding an ISO 8601 <see cref="System.DateTimeOffset"/>.</summary>
    public static bool DateTimeOffset(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        return reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out value);
    }
}
