using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace IpcContracts.Nats;

/// <summary>
/// Reads the raw NATS header block (<c>NATS/1.0[ status]\r\nName: value\r\n...</c>) a subscription receives. It works on the
/// bytes: it runs for every event and request, and only a value that is asked for becomes a string.
/// </summary>
internal static class RawHeaders
{
    /// <summary>The status code of the first line (503 = no responders), 0 when there is none.</summary>
    public static int Status(in ReadOnlySequence<byte>? headers)
    {
        if (headers is not { Length: > 0 } h) return 0;
        var text = Bytes(h, out _);
        var end = text.IndexOf((byte)'\r');
        var first = end < 0 ? text : text[..end];
        var space = first.IndexOf((byte)' ');
        if (space < 0) return 0;
        var rest = first[(space + 1)..].TrimStart((byte)' ');
        var stop = rest.IndexOf((byte)' ');
        if (stop >= 0) rest = rest[..stop];
        return Utf8Parser.TryParse(rest, out int code, out var used) && used == rest.Length ? code : 0;
    }

    /// <summary>The value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public static string? Find(in ReadOnlySequence<byte>? headers, string name)
    {
        if (headers is not { Length: > 0 } h) return null;
        return TryFind(Bytes(h, out _), name, out var value) ? Encoding.ASCII.GetString(value) : null;
    }

    /// <summary>The value of header <paramref name="name"/> as an unsigned decimal number; false when it is missing or not one.</summary>
    public static bool TryFindUInt64(in ReadOnlySequence<byte>? headers, string name, out ulong number)
    {
        number = 0;
        if (headers is not { Length: > 0 } h || !TryFind(Bytes(h, out _), name, out var value)) return false;
        return Utf8Parser.TryParse(value, out number, out var used) && used == value.Length;
    }

    private static bool TryFind(ReadOnlySpan<byte> block, string name, out ReadOnlySpan<byte> value)
    {
        value = default;
        var first = block.IndexOf("\r\n"u8);
        if (first < 0) return false;
        var rest = block[(first + 2)..];
        while (rest.Length > 0)
        {
            var end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon > 0 && NameEquals(line[..colon].Trim((byte)' '), name))
            {
                value = line[(colon + 1)..].Trim((byte)' ');
                return true;
            }
        }
        return false;
    }

    private static bool NameEquals(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length != name.Length) return false;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (char.ToLowerInvariant((char)bytes[i]) != char.ToLowerInvariant(name[i])) return false;
        }
        return true;
    }

    /// <summary>The block as one span (NATS hands it over in one segment almost always; otherwise it is copied).</summary>
    private static ReadOnlySpan<byte> Bytes(in ReadOnlySequence<byte> headers, out byte[]? copy)
    {
        copy = headers.IsSingleSegment ? null : headers.ToArray();
        return copy ?? headers.FirstSpan;
    }
}
