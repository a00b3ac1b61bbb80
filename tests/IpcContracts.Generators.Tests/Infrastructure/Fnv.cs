using System.Text;

namespace IpcContracts.Generators.Tests.Infrastructure;

/// <summary>An FNV-1a written from the spec, independent of the generator's and the runtime's copies.</summary>
internal static class Fnv
{
    public static uint Hash32(string text)
    {
        const uint offset = 2166136261, prime = 16777619;
        uint h = offset;
        foreach (var b in Encoding.UTF8.GetBytes(text))
            h = unchecked((h ^ b) * prime);
        return h;
    }

    public static ulong Hash64(string text)
    {
        const ulong offset = 14695981039346656037, prime = 1099511628211;
        ulong h = offset;
        foreach (var b in Encoding.UTF8.GetBytes(text))
            h = unchecked((h ^ b) * prime);
        return h;
    }

    public static string Literal32(string text) => $"0x{Hash32(text):X8}u";

    public static string Literal64(string text) => $"0x{Hash64(text):X16}UL";
}
