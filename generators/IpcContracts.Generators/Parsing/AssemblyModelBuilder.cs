using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using IpcContracts.Generators.Models;
using IpcContracts.Generators.Rules;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>Aggregates every contract and context of the compilation into the per-assembly model.</summary>
    internal static class AssemblyModelBuilder
    {
        /// <returns>Null when there is nothing to register (no contracts, no message types) or the runtime is not referenced.</returns>
        public static AssemblyModel? Build(
            ImmutableArray<ContractModel> contracts,
            ImmutableArray<EquatableArray<JsonContextModel>> namedContexts,
            ImmutableArray<JsonContextModel> declaredContexts,
            bool runtimeReferenced)
        {
            if (!runtimeReferenced)
                return null;

            var contexts = JsonContextRules.Select(namedContexts.SelectMany(c => c), declaredContexts, c => c.Code);

            var messageTypes = new Dictionary<string, MessageTypeModel>();
            foreach (var context in contexts)
            {
                foreach (var type in context.SerializableTypes)
                    messageTypes[type.MetadataCode] = type;
            }
            foreach (var contract in contracts)
            {
                foreach (var method in contract.Methods)
                {
                    foreach (var p in method.Parameters)
                        Add(messageTypes, p.Type);
                    // A Stream or PipeReader result travels as chunks (ReadOnlyMemory<byte>, BinaryJson), never as JSON.
                    if (method.Result is { } result && method.ResultBytes == ByteStreamKind.None)
                        Add(messageTypes, result);
                    if (method.Progress is { } progress)
                        Add(messageTypes, progress.Value);
                    if (method.ArgumentStream is { } stream)
                        Add(messageTypes, stream.Item);
                }
            }

            var registrations = contracts
                .GroupBy(c => c.FullName).Select(g => g.First())
                .OrderBy(c => c.FullName, System.StringComparer.Ordinal)
                .Select(c => new ContractRegistration(c.InterfaceCode, c.DescriptorName))
                .ToList();

            if (registrations.Count == 0 && messageTypes.Count == 0)
                return null;

            return new AssemblyModel(
                registrations.ToEquatableArray(),
                contexts.Select(c => c.Code).ToEquatableArray(),
                messageTypes.Values
                    .OrderBy(t => t.CanonicalName, System.StringComparer.Ordinal)
                    .ThenBy(t => t.MetadataCode, System.StringComparer.Ordinal)
                    .ToEquatableArray());
        }

        /// <summary>The binary types take their metadata from the runtime's BinaryJson, so they get no IpcJsonTypes property.</summary>
        private static void Add(Dictionary<string, MessageTypeModel> types, TypeRef type)
        {
            if (type.Binary == BinaryKind.None && !types.ContainsKey(type.MetadataCode))
                types[type.MetadataCode] = TypeNames.ToMessageType(type);
        }
    }
}
