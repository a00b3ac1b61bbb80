namespace IpcContracts.Tests.Hardening;

/// <summary>Tests that measure this process's memory run alone, with no other test allocating meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuresMemory
{
    public const string Name = "Measures memory (runs alone)";
}
