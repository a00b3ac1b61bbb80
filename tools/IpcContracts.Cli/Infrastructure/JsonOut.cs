using System.Text;
using System.Text.Json;

namespace IpcContracts.Cli.Infrastructure;

/// <summary>Writes the tool's JSON output with <see cref="Utf8JsonWriter"/>: property order is the code's order, so it is stable (and AOT-safe).</summary>
internal static class JsonOut
{
    public static string Write(Action<Utf8JsonWriter> write, bool indented)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
            write(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Hex(uint value) => $"0x{value:X8}";

    public static string Hex(ulong value) => $"0x{value:X16}";

    /// <summary>Writes JSON text from the wire as a value; text that is not one JSON value is written as a string so the line stays valid.</summary>
    public static void RawOrString(Utf8JsonWriter writer, string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            doc.RootElement.WriteTo(writer);
        }
        catch (JsonException)
        {
            writer.WriteStringValue(json);
        }
    }
}
