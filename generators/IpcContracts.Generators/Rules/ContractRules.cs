using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using IpcContracts.Analyzers;
using IpcContracts.Generators.Models;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// The contract rulebook: every rule a [RequestContract]/[EventContract] type must follow to become generated code,
    /// applied in one pass. The generator keeps <see cref="ContractCheck.Model"/> and skips the contract when it is null;
    /// the contract analyzer reports <see cref="ContractCheck.Violations"/>. Method-level rules live in
    /// <see cref="MethodRules"/>, the payload rule in <see cref="PayloadRules"/>. To add a rule: add its descriptor in
    /// Analyzers/DiagnosticDescriptors.cs (plus AnalyzerReleases.Unshipped.md and docs/diagnostics), then report it here
    /// or in MethodRules with <see cref="ContractCheck.Add"/>; both the generator and the analyzer follow.
    /// </summary>
    internal static class ContractRules
    {
        /// <summary>Applies the rules to a type with at least one contract attribute (others give an empty check).</summary>
        public static ContractCheck Check(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken)
        {
            int count = ContractIdentity.CountContractAttributes(type, out var first, out var second);
            var location = RuleLocation.From(type.Locations.FirstOrDefault());
            if (count == 0)
                return new ContractCheck(null, location) { HasErrors = true };

            if (type.TypeKind != TypeKind.Interface)
                return Rejected(location, RuleViolation.Create(DiagnosticDescriptors.ContractOnNonInterfaceId, AttributeLocation(first!, cancellationToken) ?? location,
                    ShortName(first!), KindWord(type), type.Name));

            // Half-typed declarations: the compiler already reports the syntax errors, and generating would only add more.
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken).ContainsDiagnostics)
                    return new ContractCheck(null, location) { HasErrors = true };
            }

            if (count > 1)
                return Rejected(location, RuleViolation.Create(DiagnosticDescriptors.BothContractKindsId, AttributeLocation(second!, cancellationToken) ?? location, type.Name));
            if (TypeChecks.IsGenericAnywhere(type))
            {
                var genericOuter = type.ContainingType;
                while (genericOuter is not null && genericOuter.TypeParameters.Length == 0)
                    genericOuter = genericOuter.ContainingType;
                string why = type.TypeParameters.Length > 0 ? "is generic" : "is nested in the generic type '" + genericOuter?.Name + "'";
                return Rejected(location, RuleViolation.Create(DiagnosticDescriptors.GenericContractId, location, type.Name, why));
            }

            var identity = ContractIdentity.FromAttribute(type, first!);
            var check = new ContractCheck(identity, location);
            new Walker(check, compilation, cancellationToken).Run();
            if (!check.HasErrors)
                check.Model = BuildModel(identity, check.Methods);
            return check;
        }

        private static ContractCheck Rejected(RuleLocation? location, RuleViolation violation)
        {
            var check = new ContractCheck(null, location);
            check.Add(violation);
            return check;
        }

        private static ContractModel BuildModel(ContractIdentity identity, List<MethodFacts> methods)
        {
            var contract = identity.Symbol;
            var model = new ContractModel(
                TypeNames.Code(contract),
                identity.FullName,
                identity.Alias,
                identity.Id,
                identity.IsEvent,
                Identifiers.FromQualifiedName(identity.FullName, identity.FullName) + "_IpcDescriptor",
                identity.FullName + ".IpcContract.g.cs",
                AssignMemberSuffixes(methods.Select(m => m.Model!).ToList()).ToEquatableArray());
            return identity.IsEvent ? model with { Listener = ListenerParser.Parse(contract, model) } : model; // the listener base class, see ListenerParser
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

        private static RuleLocation? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
            RuleLocation.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));

        private static string ShortName(AttributeData attribute)
        {
            string name = attribute.AttributeClass?.Name ?? "RequestContractAttribute";
            return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
        }

        private static string KindWord(INamedTypeSymbol type) => type.TypeKind switch
        {
            TypeKind.Class => type.IsRecord ? "record" : "class",
            TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
            TypeKind.Enum => "enum",
            TypeKind.Delegate => "delegate",
            _ => "type",
        };

        /// <summary>The members of the contract and its base interfaces, then the method IDs among them.</summary>
        private sealed class Walker
        {
            private readonly ContractCheck _check;
            private readonly Compilation _compilation;
            private readonly CancellationToken _cancellationToken;

            public Walker(ContractCheck check, Compilation compilation, CancellationToken cancellationToken)
            {
                _check = check;
                _compilation = compilation;
                _cancellationToken = cancellationToken;
            }

            private INamedTypeSymbol Contract => _check.Identity!.Symbol;

            public void Run()
            {
                var contract = Contract;
                if (!TypeChecks.IsReachable(contract, _compilation))
                    _check.Add(RuleViolation.Create(DiagnosticDescriptors.ContractNotAccessibleId, _check.Location, contract.Name, WhyNotAccessible(contract)));

                AddMembers(contract, own: true);
                foreach (var baseInterface in contract.AllInterfaces)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    if (!TypeChecks.IsReachable(baseInterface, _compilation))
                        _check.Add(RuleViolation.Create(DiagnosticDescriptors.ContractNotAccessibleId, _check.Location, contract.Name,
                            "its base interface '" + baseInterface.Name + "' " + WhyNotAccessible(baseInterface).Replace("it is", "is")));
                    AddMembers(baseInterface, own: false);
                }

                CheckMethodIds();
            }

            private static string WhyNotAccessible(INamedTypeSymbol type)
            {
                for (var t = type; t is not null; t = t.ContainingType)
                {
                    string? accessibility = t.DeclaredAccessibility switch
                    {
                        Accessibility.Private => "private",
                        Accessibility.Protected => "protected",
                        Accessibility.ProtectedAndInternal => "private protected",
                        _ => null,
                    };
                    if (accessibility is not null)
                        return SymbolEqualityComparer.Default.Equals(t, type)
                            ? "it is " + accessibility
                            : "it is nested in '" + t.Name + "', which is " + accessibility;
                }
                return "it is not accessible from the contracts assembly";
            }

            // ---- members: only abstract instance methods cross the wire ----

            private void AddMembers(INamedTypeSymbol type, bool own)
            {
                foreach (var member in type.GetMembers())
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    switch (member)
                    {
                        case INamedTypeSymbol or IFieldSymbol:
                            continue; // nested types and constants are not part of the wire shape
                        case IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet or MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise }:
                            continue; // judged with their property or event
                        case { IsStatic: true }:
                            // Static helpers are harmless; static abstract/virtual members make the interface unusable as a type argument.
                            if (member.IsAbstract || member.IsVirtual)
                                ReportMember(member, own, member.IsAbstract ? "a static abstract member" : "a static virtual member");
                            continue;
                        case IMethodSymbol { MethodKind: MethodKind.Ordinary, IsAbstract: true } method:
                            _check.Methods.Add(MethodRules.Check(method, own, _check, _compilation, _cancellationToken));
                            continue;
                        default:
                            ReportMember(member, own, DescribeMember(member));
                            continue;
                    }
                }
            }

            private static string DescribeMember(ISymbol member) => member switch
            {
                IPropertySymbol { IsIndexer: true } => "an indexer",
                IPropertySymbol => "a property",
                IEventSymbol => "a C# event",
                IMethodSymbol { MethodKind: MethodKind.ExplicitInterfaceImplementation } => "an explicit interface implementation",
                IMethodSymbol { IsAbstract: false, MethodKind: MethodKind.Ordinary } => "a method with a default implementation",
                _ => "not an abstract method",
            };

            private void ReportMember(ISymbol member, bool own, string what) =>
                _check.Add(RuleViolation.Create(DiagnosticDescriptors.UnsupportedMemberId,
                    own ? RuleLocation.From(member.Locations.FirstOrDefault(l => l.IsInSource)) ?? _check.Location : _check.Location,
                    MethodRules.Display(member, own), what));

            // ---- method IDs and aliases: unique within the contract ----

            private void CheckMethodIds()
            {
                var methods = _check.Methods;
                for (int i = 1; i < methods.Count; i++)
                {
                    var m = methods[i];
                    MethodFacts? sameId = null, sameAlias = null;
                    for (int j = 0; j < i; j++)
                    {
                        if (sameId is null && methods[j].Id == m.Id)
                            sameId = methods[j];
                        if (sameAlias is null && methods[j].Alias == m.Alias)
                            sameAlias = methods[j];
                    }

                    var location = m.Location ?? _check.Location;
                    if (sameId is not null)
                    {
                        if (sameId.Symbol.Name == m.Symbol.Name && !m.HasAlias && !m.HasExplicitId && !sameId.HasAlias && !sameId.HasExplicitId)
                        {
                            _check.Add(RuleViolation.Create(DiagnosticDescriptors.OverloadWithoutAliasId, location,
                                    m.Display + MethodRules.ParameterList(m.Symbol), sameId.Display + MethodRules.ParameterList(sameId.Symbol), m.Alias)
                                .WithProperty(DiagnosticDescriptors.AliasProperty, SuggestAlias(m)));
                        }
                        else
                        {
                            _check.Add(RuleViolation.Create(DiagnosticDescriptors.DuplicateMethodIdId, location, m.Display, "the wire ID " + WireIds.Hex(m.Id), sameId.Display,
                                m.HasExplicitId ? "set with Id" : "the FNV-1a hash of alias '" + m.Alias + "'"));
                        }
                    }
                    else if (sameAlias is not null)
                    {
                        bool overload = sameAlias.Symbol.Name == m.Symbol.Name;
                        _check.Add(RuleViolation.Create(DiagnosticDescriptors.DuplicateMethodIdId, location,
                            m.Display + (overload ? MethodRules.ParameterList(m.Symbol) : ""), "the alias '" + m.Alias + "'",
                            sameAlias.Display + (overload ? MethodRules.ParameterList(sameAlias.Symbol) : ""),
                            "untyped calls find methods by alias"));
                    }
                }
            }

            /// <summary><c>Name(int, string)</c>, made unique among the contract's aliases.</summary>
            private string SuggestAlias(MethodFacts method)
            {
                string baseAlias = method.Symbol.Name + MethodRules.ParameterList(method.Symbol).Replace("?", "");
                string alias = baseAlias;
                for (int n = 2; _check.Methods.Any(m => m.Alias == alias || m.Id == Fnv1a.Hash32(alias)); n++)
                    alias = baseAlias + "#" + n;
                return alias;
            }
        }
    }
}
