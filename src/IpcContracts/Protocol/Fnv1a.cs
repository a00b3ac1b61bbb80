using System.Text;

namespace IpcContracts.Protocol;

/// <summary>
/// FNV-1a hashes over UTF-8 text: the source of every wire ID (32-bit) and shape fingerprint (64-bit).
/// The generator computes the same values at compile time.
/// </summary>
internal static class Fnv1a
{
    /// <summary>32-bit FNV-1a of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static uint Hash32(string text)
    {
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 16777619;
        }
        return hash;
    }

    /// <summary>64-bit FNV-1a of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static ulong Hash64(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211;
        }
        return hash;
    }
}
