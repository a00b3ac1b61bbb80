using System.Collections.Generic;
using System.Linq;
using IpcContracts.Protocol;

namespace IpcContracts.Analyzers.Baseline
{
    /// <summary>
    /// The baseline rulebook: which differences between what shipped and what is there now break the wire (IPC0023-IPC0025,
    /// docs/diagnostics/IPC0022.md). Free of Roslyn on purpose: the analyzers judge a compilation against contracts.shipped.txt
    /// with it, and the <c>ipc</c> tool compiles this file too (linked) to judge two assemblies or two baselines
    /// (<c>ipc diff</c>), so both give the same verdict by construction.
    /// </summary>
    internal static class BaselineRules
    {
        /// <summary>
        /// Judges one contract as it is now (<paramref name="contract"/> and its <paramref name="methods"/>) against the shipped and
        /// retired entries. A contract on a retired ID is reported alone (its methods are not judged against a contract that is gone).
        /// A method with no signature (its shape has errors) is not compared. A contract entry without a kind is not compared either.
        /// </summary>
        public static List<BaselineBreak> CheckContract(IReadOnlyDictionary<BaselineKey, BaselineEntry> shipped,
            IReadOnlyDictionary<BaselineKey, BaselineEntry> retired, BaselineEntry contract, IEnumerable<BaselineEntry> methods)
        {
            var breaks = new List<BaselineBreak>();
            if (retired.TryGetValue(contract.Key, out var retiredContract))
            {
                breaks.Add(new BaselineBreak(BaselineRule.RetiredIdReused, contract, retiredContract));
                return breaks;
            }
            if (shipped.TryGetValue(contract.Key, out var shippedContract) && contract.Kind is not null && shippedContract.Kind != contract.Kind)
                breaks.Add(new BaselineBreak(BaselineRule.Changed, contract, shippedContract));

            var present = new HashSet<uint>();
            foreach (var method in methods)
            {
                present.Add(method.Key.MethodId.GetValueOrDefault());
                if (retired.TryGetValue(method.Key, out var retiredMethod))
                    breaks.Add(new BaselineBreak(BaselineRule.RetiredIdReused, method, retiredMethod));
                else if (shipped.TryGetValue(method.Key, out var shippedMethod) && method.Signature is not null && IsBreakingChange(shippedMethod.Signature, method.Signature))
                    breaks.Add(new BaselineBreak(BaselineRule.Changed, method, shippedMethod));
            }

            foreach (var entry in shipped.Values)
            {
                var key = entry.Key;
                if (key.ContractId == contract.Key.ContractId && key.MethodId is { } methodId && !present.Contains(methodId) && !retired.ContainsKey(key))
                    breaks.Add(new BaselineBreak(BaselineRule.Removed, null, entry));
            }
            return breaks;
        }

        /// <summary>
        /// A method's signature changed in a way peers built from the shipped one cannot take. Differences only in optional
        /// trailing parameters are not breaking: the runtime accepts them both ways (<see cref="ShapeCompatibility"/>, the same
        /// source file, docs/versioning.md).
        /// </summary>
        public static bool IsBreakingChange(string? shipped, string current) =>
            shipped is null || !ShapeCompatibility.AreCompatible(shipped, current);

        /// <summary>
        /// A method whose signature differs from the shipped one only compatibly: worth recording (so the next change is
        /// judged against it), not a break.
        /// </summary>
        public static bool IsCompatibleChange(string? shipped, string current) =>
            shipped is not null && shipped != current && ShapeCompatibility.AreCompatible(shipped, current);

        /// <summary>
        /// Shipped contracts that no longer exist (their IDs are not in <paramref name="currentContractIds"/>) and are not retired, each
        /// reported once: a method line of a removed contract is covered by the contract's own line when there is one.
        /// </summary>
        public static List<BaselineBreak> RemovedContracts(IReadOnlyDictionary<BaselineKey, BaselineEntry> shipped,
            IReadOnlyDictionary<BaselineKey, BaselineEntry> retired, ICollection<uint> currentContractIds)
        {
            var shippedContracts = new HashSet<uint>(shipped.Keys.Where(k => !k.IsMethod).Select(k => k.ContractId));
            var breaks = new List<BaselineBreak>();
            foreach (var entry in shipped.Values)
            {
                var key = entry.Key;
                if (currentContractIds.Contains(key.ContractId) || retired.ContainsKey(key) || retired.ContainsKey(new BaselineKey(key.ContractId, null)))
                    continue;
                if (key.IsMethod && shippedContracts.Contains(key.ContractId))
                    continue;
                breaks.Add(new BaselineBreak(BaselineRule.Removed, null, entry));
            }
            return breaks;
        }
    }
}
