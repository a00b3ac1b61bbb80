using System;
using System.Collections.Generic;
using System.Threading;
using IpcContracts.Generators.Models;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>
    /// Turns a [RequestContract]/[EventContract] interface into a <see cref="ContractModel"/>. Any shape the
    /// runtime cannot serve yields null and the contract is skipped without a diagnostic: reporting is the
    /// analyzers' job, and a generator must never fail on code the user is still typing.
    /// </summary>
    internal static class ContractParser
    {
        public static ContractModel? Parse(GeneratorAttributeSyntaxContext context, bool isEvent, CancellationToken cancellationToken)
        {
            try
            {
                return ParseCore(context, isEvent, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Last line of defence for malformed code we did not foresee: skip rather than fail the build.
                return null;
            }
        }

        private static ContractModel? ParseCore(GeneratorAttributeSyntaxContext context, bool isEvent, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol { TypeKind: TypeKind.Interface } contract)
                return null;
            // Half-typed declarations parse with recovered members; generating from them only adds follow-on errors.
            if (context.TargetNode.ContainsDiagnostics)
                return null;
            var compilation = context.SemanticModel.Compilation;

            // Exactly one contract attribute of either kind: both kinds at once is ambiguous.
            AttributeData? attribute = null;
            foreach (var a in contract.GetAttributes())
            {
                if (AttributeReader.IsAttribute(a, KnownNames.RequestContractAttribute) || AttributeReader.IsAttribute(a, KnownNames.EventContractAttribute))
                {
                    if (attribute is not null)
                        return null;
                    attribute = a;
                }
            }
            if (attribute is null || TypeChecks.IsGenericAnywhere(contract) || !TypeChecks.IsReachable(contract, compilation))
                return null;

            string interfaceCode = TypeNames.Code(contract);
            var methods = new List<MethodModel>();
            if (!AddMethods(contract, interfaceCode, isEvent, compilation, methods))
                return null;
            foreach (var baseInterface in contract.AllInterfaces)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!TypeChecks.IsReachable(baseInterface, compilation) ||
                    !AddMethods(baseInterface, TypeNames.Code(baseInterface), isEvent, compilation, methods))
                    return null;
            }
            if (HasDuplicateIds(methods))
                return null;

            string fullName = TypeNames.FullName(contract);
            var (alias, id) = AttributeReader.ReadAliasAndId(attribute);
            alias ??= fullName;
            var model = new ContractModel(
                interfaceCode,
                fullName,
                alias,
                id != 0 ? id : Fnv1a.Hash32(alias),
                isEvent,
                Identifiers.FromQualifiedName(fullName, fullName) + "_IpcDescriptor",
                fullName + ".IpcContract.g.cs",
                AssignMemberSuffixes(methods).ToEquatableArray());
            return isEvent ? model with { Listener = ListenerParser.Parse(contract, model) } : model; // the listener base class, see ListenerParser
        }

        /// <summary>Adds the interface's own methods; false if it has a member a contract cannot have.</summary>
        private static bool AddMethods(INamedTypeSymbol type, string typeCode, bool isEvent, Compilation compilation, List<MethodModel> methods)
        {
            foreach (var member in type.GetMembers())
            {
                switch (member)
                {
                    case INamedTypeSymbol or IFieldSymbol:
                        continue; // nested types and constants are not part of the wire shape
                    case IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet or MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise }:
                        continue; // judged with their property or event
                    case { IsStatic: true }:
                        // Static helpers are harmless; static abstract/virtual members make the interface unusable as a type argument.
                        if (member.IsAbstract || member.IsVirtual)
                            return false;
                        continue;
                    case IMethodSymbol { MethodKind: MethodKind.Ordinary, IsAbstract: true } method:
                        var model = MethodParser.Parse(method, isEvent, typeCode, compilation);
                        if (model is null)
                            return false;
                        methods.Add(model);
                        continue;
                    default:
                        // Properties, events, indexers, default implementations, explicit re-implementations.
                        return false;
                }
            }
            return true;
        }

        private static bool HasDuplicateIds(List<MethodModel> methods)
        {
            var seen = new HashSet<uint>();
            foreach (var m in methods)
            {
                if (!seen.Add(m.Id))
                    return true;
            }
            return false;
        }

        /// <summary>Generated member names use the method name; overloads get their position appended until unique.</summary>
        private static List<MethodModel> AssignMemberSuffixes(List<MethodModel> methods)
        {
            var counts = new Dictionary<string, int>();
            foreach (var m in methods)
                counts[m.MemberSuffix] = counts.TryGetValue(m.MemberSuffix, out int c) ? c + 1 : 1;

            var used = new HashSet<string>();
            foreach (var m in methods)
            {
                if (counts[m.MemberSuffix] == 1)
                    used.Add(m.MemberSuffix);
            }

            var result = new List<MethodModel>(methods.Count);
            for (int i = 0; i < methods.Count; i++)
            {
                var m = methods[i];
                string suffix = m.MemberSuffix;
                if (counts[suffix] > 1)
                {
                    suffix = suffix + "_" + i;
                    while (!used.Add(suffix))
                        suffix += "_";
                    m = m with { MemberSuffix = suffix };
                }
                result.Add(m);
            }
            return result;
        }
    }
}
