using System.Globalization;

namespace IpcContracts.Generators.Rules
{
    /// <summary>How wire IDs are written in diagnostics and in contract baselines.</summary>
    internal static class WireIds
    {
        public static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture);
    }
}
