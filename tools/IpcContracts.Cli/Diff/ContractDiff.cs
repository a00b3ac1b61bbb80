using IpcContracts.Analyzers.Baseline;

namespace IpcContracts.Cli.Diff;

/// <summary>
/// Compares two versions by the analyzers' baseline rules (<see cref="BaselineRules"/>, the same source file): OLD is
/// what shipped, NEW is what is there now, and a <c>retired</c> line on either side reserves its ID, exactly as
/// contracts.shipped.txt / contracts.unshipped.txt do for a compilation.
/// </summary>
internal static class ContractDiff
{
    /// <param name="Compatible">Methods whose signature changed only by optional trailing parameters: not breaking (docs/versioning.md).</param>
    public sealed record Result(List<BaselineBreak> Breaking, List<BaselineEntry> Added, List<(BaselineEntry Old, BaselineEntry New)> Renamed,
        List<(BaselineEntry Old, BaselineEntry New)> Compatible);

    public static Result Compare(IReadOnlyList<BaselineEntry> oldEntries, IReadOnlyList<BaselineEntry> newEntries)
    {
        var shipped = new Dictionary<BaselineKey, BaselineEntry>();
        var retired = new Dictionary<BaselineKey, BaselineEntry>();
        foreach (var e in oldEntries) (e.Retired ? retired : shipped)[e.Key] = e; // a later line for the same key wins
        foreach (var e in newEntries.Where(e => e.Retired)) retired[e.Key] = e;

        var current = new Dictionary<BaselineKey, BaselineEntry>();
        foreach (var e in newEntries.Where(e => !e.Retired)) current[e.Key] = e;
        var contractIds = new SortedSet<uint>(current.Keys.Select(k => k.ContractId));

        var breaking = new List<BaselineBreak>();
        foreach (var id in contractIds)
        {
            // A baseline may list methods without their contract's line: judge them under a contract of unknown kind.
            var contract = current.GetValueOrDefault(new BaselineKey(id, null)) ?? new BaselineEntry(new BaselineKey(id, null), false, null, null, null, -1);
            var methods = current.Values.Where(e => e.Key.ContractId == id && e.Key.IsMethod).OrderBy(e => e.Key.MethodId);
            breaking.AddRange(BaselineRules.CheckContract(shipped, retired, contract, methods));
        }
        breaking.AddRange(BaselineRules.RemovedContracts(shipped, retired, contractIds));

        var added = current.Values.Where(e => !shipped.ContainsKey(e.Key) && !retired.ContainsKey(e.Key)).OrderBy(e => e.Key.ContractId).ThenBy(e => e.Key.MethodId ?? 0).ToList();
        var renamed = current.Values
            .Where(e => shipped.TryGetValue(e.Key, out var old) && old.Alias != e.Alias && e.Alias is not null)
            .Select(e => (shipped[e.Key], e)).ToList();
        var compatible = current.Values
            .Where(e => e.Signature is not null && shipped.TryGetValue(e.Key, out var old) && !retired.ContainsKey(e.Key) && BaselineRules.IsCompatibleChange(old.Signature, e.Signature))
            .OrderBy(e => e.Key.ContractId).ThenBy(e => e.Key.MethodId ?? 0)
            .Select(e => (shipped[e.Key], e)).ToList();
        return new Result([.. breaking.OrderBy(b => b.Recorded.Key.ContractId).ThenBy(b => b.Recorded.Key.MethodId ?? 0)], added, renamed, compatible);
    }
}
