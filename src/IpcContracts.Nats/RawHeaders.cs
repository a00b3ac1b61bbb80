using System.Buffers;
using System.Text;

namespace IpcContracts.Nats;

/// <summary>Reads the raw NATS header block (<c>NATS/1.0[ status]\r\nName: value\r\n...</c>) a subscription receives.</summary>
internal static class RawHeaders
{
    /// <summary>The status code of the first line (503 = no responders), 0 when there is none.</summary>
    public static int Status(in ReadOnlySequence<byte>? headers)
    {
        if (headers is not { Length: > 0 } h) return 0;
        var text = Text(h);
        var end = text.IndexOf('\r');
        var first = end < 0 ? text : text[..end];
        var parts = first.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && int.TryParse(parts[1], out var code) ? code : 0;
    }

    /// <summary>The value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public static string? Find(in ReadOnlySequence<byte>? headers, string name)
    {
        if (headers is not { Length: > 0 } h) return null;
        foreach (var line in Text(h).Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static string Text(in ReadOnlySequence<byte> headers) => Encoding.ASCII.GetString(headers);
}
