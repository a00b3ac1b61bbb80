using System.Runtime.CompilerServices;
using IpcContracts.Generators.Tests.Infrastructure;

namespace IpcContracts.Generators.Tests;

/// <summary>
/// Pins the generated code (Snapshots/&lt;Test&gt;.verified.cs). Each shape's snapshot holds only that shape's
/// contract files (<c>*.IpcContract.g.cs</c>): the per-assembly files (JSON table, module initializer) are the same
/// code path for every shape, so they are pinned once in <see cref="AssemblyFiles"/>, and the JSON table again in
/// <see cref="NamedJsonContexts"/>, the one shape that is about which contexts the table reads from. An event
/// contract's listener base class (<c>*.IpcListener.g.cs</c>) is pinned for the Events shape in
/// <see cref="EventsListener"/>.
/// </summary>
public sealed class SnapshotTests
{
    private const string ContractSuffix = ".IpcContract.g.cs";
    private const string ListenerSuffix = ".IpcListener.g.cs";
    private const string JsonTypesHint = "IpcJsonTypes.g.cs";
    private static readonly string[] AssemblyHints = { "IpcContractsModule.g.cs", JsonTypesHint };

    [Fact] public void ManyParameters() => VerifyContracts(ContractShapes.ManyParameters);
    [Fact] public void NoParameters() => VerifyContracts(ContractShapes.NoParameters);
    [Fact] public void CancellationTokens() => VerifyContracts(ContractShapes.CancellationTokens);
    [Fact] public void ValueTasks() => VerifyContracts(ContractShapes.ValueTasks);
    [Fact] public void Events() => VerifyContracts(ContractShapes.Events);
    [Fact] public void GenericDtos() => VerifyContracts(ContractShapes.GenericDtos);
    [Fact] public void NestedNamespaces() => VerifyContracts(ContractShapes.NestedNamespaces);
    [Fact] public void NestedInClass() => VerifyContracts(ContractShapes.NestedInClass);
    [Fact] public void Records() => VerifyContracts(ContractShapes.Records);
    [Fact] public void ExplicitAlias() => VerifyContracts(ContractShapes.ExplicitAlias);
    [Fact] public void ExplicitNumericId() => VerifyContracts(ContractShapes.ExplicitNumericId);
    [Fact] public void MethodAlias() => VerifyContracts(ContractShapes.MethodAlias);
    [Fact] public void CallTimeouts() => VerifyContracts(ContractShapes.CallTimeouts);
    [Fact] public void SameSimpleName() => VerifyContracts(ContractShapes.SameSimpleName);
    [Fact] public void KeywordAndParamsParameters() => VerifyContracts(ContractShapes.KeywordAndParamsParameters);
    [Fact] public void InheritedMethods() => VerifyContracts(ContractShapes.InheritedMethods);
    [Fact] public void ObsoleteAndGlobalNamespace() => VerifyContracts(ContractShapes.ObsoleteAndGlobalNamespace);
    [Fact] public void Streams() => VerifyContracts(ContractShapes.Streams);
    [Fact] public void Progress() => VerifyContracts(ContractShapes.Progress);
    [Fact] public void ArgumentStreamsWithProgress() => VerifyContracts(ContractShapes.ArgumentStreamsWithProgress);
    [Fact] public void ArgumentStreams() => VerifyContracts(ContractShapes.ArgumentStreams);
    [Fact] public void Bytes() => VerifyContracts(ContractShapes.Bytes);

    /// <summary>The JSON table's Options read only the contexts named by [assembly: IpcJsonContext]: that table is the point of this shape.</summary>
    [Fact]
    public void NamedJsonContexts() =>
        Verify(ContractShapes.NamedJsonContexts, h => h.EndsWith(ContractSuffix, StringComparison.Ordinal) || h == JsonTypesHint);

    /// <summary>
    /// Generated payload readers (docs/serialization.md, "Generated readers"): the reader methods in the JSON table and
    /// their registrations in the module initializer, for the types that get one, and nothing for those that do not.
    /// </summary>
    [Fact]
    public void GeneratedReaders() => Verify(ContractShapes.GeneratedReaders, h => AssemblyHints.Contains(h), expectedFiles: AssemblyHints.Length);

    /// <summary>
    /// An event contract's listener base class, pinned for the Events shape: void, Task and ValueTask events, a
    /// CancellationToken. ListenerTests covers the other shapes by compiling them.
    /// </summary>
    [Fact]
    public void EventsListener() =>
        Verify(ContractShapes.Events, h => h.EndsWith(ListenerSuffix, StringComparison.Ordinal), expectedFiles: 1);

    /// <summary>
    /// The per-assembly files, pinned once. GenericDtos is the representative: its table has generic, array,
    /// nullable and dictionary types, whose member names carry the disambiguating hash; registering a contract is
    /// one line, the same for any shape.
    /// </summary>
    [Fact]
    public void AssemblyFiles() => Verify(ContractShapes.GenericDtos, h => AssemblyHints.Contains(h), expectedFiles: AssemblyHints.Length);

    /// <summary>
    /// Every generated file is one the snapshots above pin (a contract file, a listener or a per-assembly file), so a
    /// new kind of output cannot go unpinned without a decision here.
    /// </summary>
    [Theory]
    [MemberData(nameof(ContractShapes.Names), MemberType = typeof(ContractShapes))]
    public void EveryGeneratedFileIsPinnedByAKind(string shape)
    {
        var hints = GeneratorRunner.Run(new[] { ContractShapes.All[shape] }).HintNames.ToList();
        Assert.Equal(AssemblyHints.OrderBy(h => h, StringComparer.Ordinal), hints.Where(h => AssemblyHints.Contains(h)));
        Assert.All(hints, h => Assert.True(
            AssemblyHints.Contains(h) || h.EndsWith(ContractSuffix, StringComparison.Ordinal) || h.EndsWith(ListenerSuffix, StringComparison.Ordinal),
            $"unpinned kind of generated file: {h}"));
    }

    private static void VerifyContracts(string source, [CallerMemberName] string testName = "") =>
        Verify(source, h => h.EndsWith(ContractSuffix, StringComparison.Ordinal), expectedFiles: null, testName);

    private static void Verify(string source, Func<string, bool> pinned, int? expectedFiles = null, [CallerMemberName] string testName = "")
    {
        var result = GeneratorRunner.Run(new[] { source });
        Assert.Null(result.Run.Results.Single().Exception);
        var sources = result.Sources.Where(s => pinned(s.HintName)).ToList();
        // A filter that matches nothing would pin an empty file and then pass forever.
        Assert.NotEmpty(sources);
        if (expectedFiles is { } n)
            Assert.Equal(n, sources.Count);
        Snapshot.Verify(GeneratorRunner.Result.Concat(sources), testName);
    }
}
