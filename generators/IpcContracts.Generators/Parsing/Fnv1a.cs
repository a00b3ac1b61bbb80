using System.Text;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>
    /// FNV-1a over UTF-8, identical to IpcContracts.Protocol.Fnv1a in the runtime: wire IDs and
    /// fingerprints are computed here at compile time and must match what the runtime would compute.
    /// </summary>
    internal static class Fnv1a
    {
        public static uint Hash32(string text)
        {
            uint hash = 2166136261;
            foreach (byte b in Encoding.UTF8.GetBytes(text))
            {
                hash ^= b;
                hash *= 16777619;
            }
            return hash;
        }

        public static ulong Hash64(string text)
        {
            ulong hash = 14695981039346656037;
            foreach (byte b in Encoding.UTF8.GetBytes(text))
            {
                hash ^= b;
                hash *= 1099511628211;
            }
            return hash;
        }
    }
}
