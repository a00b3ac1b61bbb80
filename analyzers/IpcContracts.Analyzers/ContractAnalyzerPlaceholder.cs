// The analyzers issue fills this assembly; until then it ships no rules so the package layout is fixed.
namespace IpcContracts.Analyzers
{
    internal static class AnalyzerAssemblyMarker
    {
    }
}
