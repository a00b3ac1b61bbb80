using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using IpcContracts.Analyzers.Baseline;
using IpcContracts.Analyzers.Json;
using IpcContracts.Analyzers.Model;
using IpcContracts.Generators.Parsing;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace IpcContracts.Analyzers
{
    /// <summary>
    /// Contract declarations: shapes the generator accepts (IPC0001-IPC0014, IPC0027-IPC0032, decided by the shared rulebook in
    /// Rules/ContractRules.cs), wire ID uniqueness across contracts (IPC0015-IPC0016),
    /// JSON coverage (IPC0017-IPC0019) and the contract baseline (IPC0022-IPC0026). Work is per contract symbol; the
    /// compilation-wide facts (other contracts, JSON contexts, referenced contracts) are computed lazily, once per
    /// compilation, and only when a contract is analyzed.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ContractAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            DiagnosticDescriptors.ContractOnNonInterface,
            DiagnosticDescriptors.ContractNotAccessible,
            DiagnosticDescriptors.GenericContract,
            DiagnosticDescriptors.BothContractKinds,
            DiagnosticDescriptors.RequestReturnType,
            DiagnosticDescriptors.EventReturnType,
            DiagnosticDescriptors.ByRefParameter,
            DiagnosticDescriptors.UnsupportedType,
            DiagnosticDescriptors.GenericMethod,
            DiagnosticDescriptors.UnsupportedMember,
            DiagnosticDescriptors.CancellationTokenNotLast,
            DiagnosticDescriptors.MultipleCancellationTokens,
            DiagnosticDescriptors.OverloadWithoutAlias,
            DiagnosticDescriptors.DuplicateMethodId,
            DiagnosticDescriptors.DuplicateContractId,
            DiagnosticDescriptors.ReferencedContractCollision,
            DiagnosticDescriptors.JsonTypeNotRegistered,
            DiagnosticDescriptors.JsonTypeNotAotSafe,
            DiagnosticDescriptors.InvalidJsonContext,
            DiagnosticDescriptors.NotInBaseline,
            DiagnosticDescriptors.ShippedRemoved,
            DiagnosticDescriptors.ShippedChanged,
            DiagnosticDescriptors.RetiredIdReused,
            DiagnosticDescriptors.MalformedBaseline,
            DiagnosticDescriptors.NotSupportedYet,
            DiagnosticDescriptors.StreamInTask,
            DiagnosticDescriptors.ProgressNotAllowed,
            DiagnosticDescriptors.StreamParameterNotAllowed,
            DiagnosticDescriptors.MultipleBinaryParameters,
            DiagnosticDescriptors.InvalidCallTimeout);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                // Without the runtime there are no contract attributes to find.
                if (start.Compilation.GetTypeByMetadataName(KnownNames.RequestContractAttribute) is null)
                    return;
                var state = new CompilationState(start.Compilation, start.Options.AdditionalFiles, start.CancellationToken);
                start.RegisterSymbolAction(c => AnalyzeType(c, state), SymbolKind.NamedType);
                start.RegisterSyntaxNodeAction(c => AnalyzeAssemblyAttributes(c), SyntaxKind.AttributeList);
                if (state.Baseline is not null)
                    start.RegisterAdditionalFileAction(c => AnalyzeBaselineFile(c, state));
            });
        }

        /// <summary>Per-compilation state shared by the actions; every part is computed on first use.</summary>
        private sealed class CompilationState
        {
            private readonly Compilation _compilation;
            private SourceIndex? _index;
            private ReferencedContracts? _referenced;
            private JsonCoverage? _json;

            public CompilationState(Compilation compilation, ImmutableArray<AdditionalText> additionalFiles, CancellationToken cancellationToken)
            {
                _compilation = compilation;
                Baseline = BaselineState.Create(additionalFiles, cancellationToken);
            }

            public BaselineState? Baseline { get; }

            public SourceIndex Index(CancellationToken ct) => LazyInitializer.EnsureInitialized(ref _index, () => SourceIndex.Build(_compilation, ct))!;

            public ReferencedContracts Referenced(CancellationToken ct) =>
                LazyInitializer.EnsureInitialized(ref _referenced, () => ReferencedContracts.Build(_compilation, ct))!;

            public JsonCoverage Json(CancellationToken ct) =>
                LazyInitializer.EnsureInitialized(ref _json, () => JsonCoverage.Create(_compilation, Index(ct), ct))!;
        }

        private static void AnalyzeType(SymbolAnalysisContext context, CompilationState state)
        {
            var type = (INamedTypeSymbol)context.Symbol;
            if (!HasAttributeLists(type, context.CancellationToken))
                return; // most types: decided from syntax without binding any attribute

            // The rulebook the generator runs too: what it reports here is exactly why the generator skips a contract.
            var check = ContractRules.Check(type, context.Compilation, context.CancellationToken);
            foreach (var violation in check.Violations)
                context.ReportDiagnostic(RuleDiagnostics.ToDiagnostic(violation, Descriptors, type, context.Compilation));
            if (check.Identity is null)
                return;

            var contract = new Checked(check, type, context.Compilation);
            CheckJson(context, contract, state);
            CheckContractIds(context, contract, state);
            if (state.Baseline is { } baseline)
                CheckBaseline(context, contract, baseline);
        }

        private static readonly Dictionary<string, DiagnosticDescriptor> Descriptors =
            new ContractAnalyzer().SupportedDiagnostics.ToDictionary(d => d.Id);

        /// <summary>A contract the rulebook accepted as one (it may still have errors), with its locations mapped back.</summary>
        private sealed class Checked
        {
            private readonly INamedTypeSymbol _type;
            private readonly Compilation _compilation;

            public Checked(ContractCheck check, INamedTypeSymbol type, Compilation compilation)
            {
                Check = check;
                _type = type;
                _compilation = compilation;
                Location = RuleDiagnostics.ToLocation(check.Location, type, compilation);
            }

            public ContractCheck Check { get; }

            public ContractIdentity Identity => Check.Identity!;

            /// <summary>The interface name in its (first) declaration.</summary>
            public Location Location { get; }

            public Location LocationOf(RuleLocation? location) => location is null ? Location : RuleDiagnostics.ToLocation(location, _type, _compilation);
        }

        private static bool HasAttributeLists(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is MemberDeclarationSyntax { AttributeLists.Count: > 0 })
                    return true;
            }
            return false;
        }

        // ---- JSON (IPC0017, IPC0018) ----

        private static void CheckJson(SymbolAnalysisContext context, Checked info, CompilationState state)
        {
            if (info.Check.Payloads.Count == 0)
                return;
            var coverage = state.Json(context.CancellationToken);
            foreach (var payload in info.Check.Payloads)
            {
                var payloadLocation = info.LocationOf(payload.Location);
                var finding = AotSafety.Find(payload.Type);
                if (finding is not null)
                {
                    string through = finding.MemberPath is null ? "" : ", whose member '" + finding.MemberPath + "' has type '" + finding.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "'";
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.JsonTypeNotAotSafe, payloadLocation,
                        payload.Role, payload.Method.Display, payload.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), through, finding.Reason, finding.Remedy));
                    if (finding.MemberPath is null)
                        continue; // registering object or an interface would not help
                }
                if (coverage.IsCovered(payload.Type))
                    continue;

                // typeof() cannot carry nullable reference annotations; FullyQualifiedFormat omits them and keeps int?.
                string typeName = payload.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                string shortName = payload.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
                var properties = ImmutableDictionary.CreateBuilder<string, string?>();
                properties[DiagnosticDescriptors.TypeNameProperty] = typeName;
                properties[DiagnosticDescriptors.ContextProperty] = coverage.FixTarget is { } target ? MetadataName(target) : null;
                properties[DiagnosticDescriptors.ContextNamespaceProperty] = info.Identity.Symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : "";
                properties[DiagnosticDescriptors.NeedsAssemblyAttributeProperty] = coverage.UsesNamedContexts && coverage.FixTarget is null ? "true" : null;

                string where = coverage.FixTarget is { } t ? "'" + t.Name + "'"
                    : coverage.UsesNamedContexts ? "a JsonSerializerContext named by [assembly: IpcJsonContext] (or declare one in this project and name it too)"
                    : "a JsonSerializerContext in this project (there is none yet)";
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.JsonTypeNotRegistered, payloadLocation, properties.ToImmutable(),
                    payload.Role, payload.Method.Display, payload.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), shortName, where));
            }
        }

        /// <summary>The name <see cref="Compilation.GetTypeByMetadataName"/> finds the type by (nested types with '+').</summary>
        private static string MetadataName(INamedTypeSymbol type)
        {
            string name = type.MetadataName;
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                name = outer.MetadataName + "+" + name;
            return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
        }

        /// <summary>IPC0019: [assembly: IpcJsonContext(typeof(X))] where the generator would ignore X.</summary>
        private static void AnalyzeAssemblyAttributes(SyntaxNodeAnalysisContext context)
        {
            var list = (AttributeListSyntax)context.Node;
            if (list.Target is null || !list.Target.Identifier.IsKind(SyntaxKind.AssemblyKeyword))
                return;
            foreach (var attribute in list.Attributes)
            {
                if (context.SemanticModel.GetSymbolInfo(attribute, context.CancellationToken).Symbol is not IMethodSymbol constructor ||
                    !KnownNames.Is(constructor.ContainingType, KnownNames.IpcJsonContextAttribute) ||
                    attribute.ArgumentList is not { Arguments.Count: 1 } arguments ||
                    arguments.Arguments[0].Expression is not TypeOfExpressionSyntax typeOf)
                    continue;
                if (context.SemanticModel.GetTypeInfo(typeOf.Type, context.CancellationToken).Type is not INamedTypeSymbol named || named.TypeKind == TypeKind.Error)
                    continue;
                if (JsonCoverage.WhyNotUsableContext(named, context.Compilation) is { } why)
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidJsonContext, typeOf.Type.GetLocation(),
                        named.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), why));
            }
        }

        // ---- wire IDs across contracts (IPC0015, IPC0016) ----

        private static void CheckContractIds(SymbolAnalysisContext context, Checked info, CompilationState state)
        {
            var self = info.Identity;
            foreach (var other in state.Index(context.CancellationToken).Contracts)
            {
                if (SymbolEqualityComparer.Default.Equals(other.Symbol, self.Symbol))
                    continue;
                if (Conflict(self, other) is { } conflict)
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateContractId, info.Location,
                        self.FullName, conflict.What, other.FullName, conflict.How));
            }
            foreach (var other in state.Referenced(context.CancellationToken).Contracts)
            {
                if (Conflict(self, other) is { } conflict)
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReferencedContractCollision, info.Location,
                        self.FullName, conflict.What, other.FullName, other.Symbol.ContainingAssembly.Name, conflict.How));
            }
        }

        private static (string What, string How)? Conflict(ContractIdentity self, ContractIdentity other)
        {
            if (self.Id == other.Id)
            {
                string how = self.HasExplicitId ? "set with Id"
                    : self.Alias == other.Alias ? "both use the alias '" + self.Alias + "'"
                    : "the FNV-1a hash of alias '" + self.Alias + "'";
                return ("the wire ID " + self.IdText, how);
            }
            if (self.Alias == other.Alias)
                return ("the alias '" + self.Alias + "'", "untyped calls find contracts by alias");
            return null;
        }

        // ---- baseline (IPC0022-IPC0025 at contracts) ----

        private static void CheckBaseline(SymbolAnalysisContext context, Checked info, BaselineState baseline)
        {
            var identity = info.Identity;
            var contractKey = new BaselineKey(identity.Id, null);
            string contractText = "Contract '" + identity.Alias + "' (" + identity.IdText + ")";

            // Wire-breaking changes (IPC0023-IPC0025): the shared, Roslyn-free rulebook that `ipc diff` runs too.
            var contractEntry = new BaselineEntry(contractKey, false, identity.Kind, identity.Alias, null, -1);
            var methodEntries = info.Check.Methods.Select(m => new BaselineEntry(new BaselineKey(identity.Id, m.Id), false, null, m.Alias, m.Signature, -1)).ToList();
            foreach (var found in BaselineRules.CheckContract(baseline.ShippedEntries, baseline.Retired, contractEntry, methodEntries))
                context.ReportDiagnostic(ToDiagnostic(found, info));
            if (baseline.Retired.ContainsKey(contractKey))
                return;

            // Unrecorded or out-of-date entries (IPC0022): review prompts with a code fix, not wire breaks.
            bool contractRecorded = true;
            if (baseline.Shipped.ContainsKey(contractKey))
            {
                // A shipped contract line was judged above (its kind); its alias may change without breaking the typed wire.
            }
            else if (baseline.Unshipped.TryGetValue(contractKey, out var unshippedContract))
            {
                if (unshippedContract.Kind != identity.Kind || unshippedContract.Alias != identity.Alias)
                    ReportNotInBaseline(context, info.Location, baseline, contractText, " as it is now (the unshipped line is out of date)",
                        BaselineFormat.ContractLine(identity.Id, identity.IsEvent, identity.Alias));
            }
            else
            {
                contractRecorded = false;
                if (!info.Check.HasErrors)
                {
                    var lines = new List<string> { BaselineFormat.ContractLine(identity.Id, identity.IsEvent, identity.Alias) };
                    lines.AddRange(info.Check.Methods.Where(m => m.Signature is not null).Select(m => MethodLine(identity, m)));
                    ReportNotInBaseline(context, info.Location, baseline, contractText, "", lines.ToArray());
                }
            }

            foreach (var method in info.Check.Methods)
            {
                var key = new BaselineKey(identity.Id, method.Id);
                string methodText = "Method '" + method.Alias + "' (" + key + ")";
                if (baseline.Shipped.TryGetValue(key, out var shippedMethod) && method.Signature is not null &&
                    BaselineRules.IsCompatibleChange(shippedMethod.Entry.Signature, method.Signature))
                {
                    // Not a break (only optional trailing parameters differ), but the new shape is what peers will have from the
                    // next release on, so it is recorded in contracts.unshipped.txt and later changes are judged against it.
                    if (!baseline.Unshipped.TryGetValue(key, out var recorded) || recorded.Signature != method.Signature || recorded.Alias != method.Alias)
                        ReportNotInBaseline(context, info.LocationOf(method.Location), baseline, methodText,
                            " as it is now (it differs from the shipped shape only by optional trailing parameters, which is compatible)", MethodLine(identity, method));
                    continue;
                }
                if (baseline.Retired.ContainsKey(key) || baseline.Shipped.ContainsKey(key))
                    continue; // judged above
                if (baseline.Unshipped.TryGetValue(key, out var unshipped))
                {
                    if (method.Signature is not null && (method.Signature != unshipped.Signature || method.Alias != unshipped.Alias))
                        ReportNotInBaseline(context, info.LocationOf(method.Location), baseline, methodText, " as it is now (the unshipped line is out of date)", MethodLine(identity, method));
                }
                else if (contractRecorded && method.Signature is not null)
                {
                    ReportNotInBaseline(context, info.LocationOf(method.Location), baseline, methodText, "", MethodLine(identity, method));
                }
            }
        }

        /// <summary>A finding of the shared rulebook as a diagnostic at the contract, or at the method it concerns.</summary>
        private static Diagnostic ToDiagnostic(BaselineBreak found, Checked info)
        {
            var identity = info.Identity;
            var key = (found.Current ?? found.Recorded).Key;
            var location = key.MethodId is { } methodId && found.Current is not null
                ? info.LocationOf(info.Check.Methods.First(m => m.Id == methodId).Location)
                : info.Location;
            string alias = found.Current?.Alias ?? "";
            return found.Rule switch
            {
                BaselineRule.RetiredIdReused => Diagnostic.Create(DiagnosticDescriptors.RetiredIdReused, location,
                    (key.IsMethod ? "Method '" : "Contract '") + alias + "'", key.IsMethod ? key.ToString() : identity.IdText, Was(found.Recorded)),
                BaselineRule.Changed => Diagnostic.Create(DiagnosticDescriptors.ShippedChanged, location,
                    (key.IsMethod ? "method '" : "contract '") + alias + "' (" + (key.IsMethod ? key.ToString() : identity.IdText) + ")",
                    found.Recorded.Shape ?? "", found.Current!.Shape),
                _ => Diagnostic.Create(DiagnosticDescriptors.ShippedRemoved, location, found.Recorded.Describe()),
            };
        }

        private static string Was(BaselineEntry retired) =>
            retired.Alias is { } alias ? "it was '" + alias + "'" + (retired.Shape is { } shape ? ", " + shape : "") : "its line records no alias";

        private static string MethodLine(ContractIdentity contract, MethodFacts method) =>
            BaselineFormat.MethodLine(contract.Id, method.Id, method.Alias, method.Signature!);

        private static void ReportNotInBaseline(SymbolAnalysisContext context, Location location, BaselineState baseline, string what, string detail, params string[] lines)
        {
            var properties = ImmutableDictionary.CreateBuilder<string, string?>();
            properties[DiagnosticDescriptors.BaselineLinesProperty] = string.Join("\n", lines);
            properties[DiagnosticDescriptors.BaselineDirectoryProperty] = baseline.Directory;
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NotInBaseline, location, properties.ToImmutable(), what, detail));
        }

        // ---- baseline files (IPC0023 for removed contracts, IPC0026) ----

        private static void AnalyzeBaselineFile(AdditionalFileAnalysisContext context, CompilationState state)
        {
            var baseline = state.Baseline!;
            var file = baseline.Files.FirstOrDefault(f => f.File.Path == context.AdditionalFile.Path);
            if (file is null)
                return;

            foreach (var (line, error) in file.Errors)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MalformedBaseline, file.LineLocation(line), file.Name, error));

            if (!file.Shipped)
                return;
            var contractIds = new HashSet<uint>(state.Index(context.CancellationToken).Contracts.Select(c => c.Id));
            foreach (var found in BaselineRules.RemovedContracts(baseline.ShippedEntries, baseline.Retired, contractIds))
            {
                // Reported in the file whose line wins for the key (a later line for the same key replaces an earlier one).
                if (baseline.Shipped[found.Recorded.Key].File == file)
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ShippedRemoved, file.LineLocation(found.Recorded.Line), found.Recorded.Describe()));
            }
        }
    }
}
