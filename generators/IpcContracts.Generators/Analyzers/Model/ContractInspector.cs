using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.Analyzers.Model
{
    /// <summary>
    /// Applies every rule the generator's ContractParser and MethodParser rely on to one contract interface and reports
    /// each violation. The checks mirror the generator's order and conditions; the payload check delegates to the
    /// generator's own TypeChecks (linked source), so "the analyzer reports an error" and "the generator skips the
    /// contract" stay the same thing.
    /// </summary>
    internal sealed class ContractInspector
    {
        private static readonly SymbolDisplayFormat ShortTypeFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        private readonly Compilation _compilation;
        private readonly Action<Diagnostic> _report;
        private readonly CancellationToken _cancellationToken;
        private readonly ContractInfo _info;
        private readonly bool _isEvent;

        private ContractInspector(ContractIdentity identity, Compilation compilation, Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            _compilation = compilation;
            _report = report;
            _cancellationToken = cancellationToken;
            _isEvent = identity.IsEvent;
            _info = new ContractInfo(identity, identity.Symbol.Locations.FirstOrDefault() ?? Location.None);
        }

        /// <summary>Checks a contract whose identity could be read (interface, one attribute, not generic).</summary>
        public static ContractInfo Inspect(ContractIdentity identity, Compilation compilation, Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            var inspector = new ContractInspector(identity, compilation, report, cancellationToken);
            inspector.Run();
            return inspector._info;
        }

        private INamedTypeSymbol Contract => _info.Identity.Symbol;

        private void Report(DiagnosticDescriptor descriptor, Location location, params object[] args) =>
            Report(descriptor, location, null, args);

        private void Report(DiagnosticDescriptor descriptor, Location location, IEnumerable<KeyValuePair<string, string?>>? properties, params object[] args)
        {
            if (descriptor.DefaultSeverity == DiagnosticSeverity.Error)
                _info.HasErrors = true;
            _report(Diagnostic.Create(descriptor, location, properties?.ToImmutableDictionarySafe(), args));
        }

        private void Run()
        {
            var contract = Contract;
            if (!TypeChecks.IsReachable(contract, _compilation))
                Report(DiagnosticDescriptors.ContractNotAccessible, _info.Location, contract.Name, WhyNotAccessible(contract));

            AddMembers(contract, own: true);
            foreach (var baseInterface in contract.AllInterfaces)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (!TypeChecks.IsReachable(baseInterface, _compilation))
                    Report(DiagnosticDescriptors.ContractNotAccessible, _info.Location, contract.Name,
                        "its base interface '" + baseInterface.Name + "' " + WhyNotAccessible(baseInterface).Replace("it is", "is"));
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

        // ---- members (ContractParser.AddMethods) ----

        private void AddMembers(INamedTypeSymbol type, bool own)
        {
            foreach (var member in type.GetMembers())
            {
                _cancellationToken.ThrowIfCancellationRequested();
                switch (member)
                {
                    case INamedTypeSymbol or IFieldSymbol:
                        continue;
                    case IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet or MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise }:
                        continue;
                    case { IsStatic: true }:
                        if (member.IsAbstract || member.IsVirtual)
                            ReportMember(member, own, member.IsAbstract ? "a static abstract member" : "a static virtual member");
                        continue;
                    case IMethodSymbol { MethodKind: MethodKind.Ordinary, IsAbstract: true } method:
                        InspectMethod(method, own);
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
            Report(DiagnosticDescriptors.UnsupportedMember, own ? MemberLocation(member) : _info.Location, Display(member, own), what);

        private Location MemberLocation(ISymbol member) => member.Locations.FirstOrDefault(l => l.IsInSource) ?? _info.Location;

        private static string Display(ISymbol member, bool own) =>
            own ? member.Name : member.ContainingType.Name + "." + member.Name;

        // ---- one method (MethodParser.Parse) ----

        private void InspectMethod(IMethodSymbol method, bool own)
        {
            var syntax = own ? method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as MethodDeclarationSyntax : null;
            string display = Display(method, own);

            string alias = method.Name;
            bool hasAlias = false;
            uint explicitId = 0;
            foreach (var attribute in method.GetAttributes())
            {
                if (AttributeReader.IsAttribute(attribute, KnownNames.ContractMethodAttribute))
                {
                    var (a, i) = AttributeReader.ReadAliasAndId(attribute);
                    if (a is not null)
                    {
                        alias = a;
                        hasAlias = true;
                    }
                    explicitId = i;
                }
            }

            var entry = new MethodEntry(method, own, display, alias, hasAlias, explicitId != 0 ? explicitId : Fnv1a.Hash32(alias), explicitId != 0,
                own ? MemberLocation(method) : _info.Location);
            _info.Methods.Add(entry);

            if (method.IsGenericMethod)
            {
                // Its parameter types involve its own type parameters; reporting those as well would only repeat this.
                Report(DiagnosticDescriptors.GenericMethod, entry.Location, display);
                return;
            }

            bool valid = true;
            if (method.IsVararg)
            {
                var arglist = syntax?.ParameterList.Parameters.FirstOrDefault(p => p.Identifier.IsKind(SyntaxKind.ArgListKeyword));
                Report(DiagnosticDescriptors.ByRefParameter, arglist?.GetLocation() ?? entry.Location, "__arglist", display, "a variable argument list");
                valid = false;
            }

            valid &= CheckReturn(method, entry, syntax, out var result);
            valid &= CheckParameters(method, entry, own);

            if (valid)
                entry.Signature = Signature(result, method);
        }

        private bool CheckReturn(IMethodSymbol method, MethodEntry entry, MethodDeclarationSyntax? syntax, out ITypeSymbol? result)
        {
            result = null;
            var location = syntax?.ReturnType.GetLocation() ?? entry.Location;
            var descriptor = _isEvent ? DiagnosticDescriptors.EventReturnType : DiagnosticDescriptors.RequestReturnType;
            string returnText = (method.ReturnsByRef ? "ref " : method.ReturnsByRefReadonly ? "ref readonly " : "") + method.ReturnType.ToDisplayString(ShortTypeFormat);

            if (method.ReturnsByRef || method.ReturnsByRefReadonly)
            {
                ReportReturn(descriptor, location, entry, returnText, method.ReturnType);
                return false;
            }
            if (method.ReturnsVoid)
            {
                if (_isEvent)
                    return true;
                ReportReturn(descriptor, location, entry, "void", method.ReturnType);
                return false;
            }

            var type = method.ReturnType as INamedTypeSymbol;
            bool isTask = KnownNames.Is(type, KnownNames.TasksNamespace + ".Task") || KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask");
            bool isTaskOfT = KnownNames.Is(type, KnownNames.TasksNamespace + ".Task`1") || KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask`1");
            if (isTask)
                return true;
            if (!isTaskOfT || _isEvent)
            {
                if (method.ReturnType.TypeKind == TypeKind.Error)
                {
                    _info.HasErrors = true; // the compiler reports the missing type
                    return false;
                }
                ReportReturn(descriptor, location, entry, returnText, method.ReturnType);
                return false;
            }

            var t = type!.TypeArguments[0];
            var argumentLocation = TypeArgumentLocation(syntax?.ReturnType) ?? location;
            if (!CheckPayloadType(t, "The result", entry, argumentLocation))
                return false;
            result = t;
            return true;
        }

        private void ReportReturn(DiagnosticDescriptor descriptor, Location location, MethodEntry entry, string returnText, ITypeSymbol returnType)
        {
            if (_isEvent)
            {
                Report(descriptor, location, entry.Display, returnText);
            }
            else
            {
                string suggestion = returnType.SpecialType == SpecialType.System_Void ? "Task"
                    : IsTaskLike(returnType) ? returnType.ToDisplayString(ShortTypeFormat) + " (without ref)"
                    : "Task<" + returnType.ToDisplayString(ShortTypeFormat) + ">";
                Report(descriptor, location, entry.Display, returnText, suggestion);
            }
        }

        private static bool IsTaskLike(ITypeSymbol type) =>
            KnownNames.Is(type, KnownNames.TasksNamespace + ".Task") || KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask") ||
            KnownNames.Is(type, KnownNames.TasksNamespace + ".Task`1") || KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask`1");

        private static Location? TypeArgumentLocation(TypeSyntax? type)
        {
            var name = type switch
            {
                QualifiedNameSyntax q => q.Right,
                AliasQualifiedNameSyntax a => a.Name,
                SimpleNameSyntax s => s,
                _ => null,
            };
            return name is GenericNameSyntax { TypeArgumentList.Arguments.Count: 1 } g ? g.TypeArgumentList.Arguments[0].GetLocation() : null;
        }

        private bool CheckParameters(IMethodSymbol method, MethodEntry entry, bool own)
        {
            bool valid = true;
            int firstToken = -1;
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                var p = method.Parameters[i];
                var parameterSyntax = own ? p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as ParameterSyntax : null;
                var location = parameterSyntax?.GetLocation() ?? entry.Location;

                if (p.RefKind != RefKind.None)
                {
                    string how = p.RefKind switch
                    {
                        RefKind.Out => "an 'out' parameter",
                        RefKind.In => "an 'in' parameter",
                        RefKind.Ref => "a 'ref' parameter",
                        _ => "a 'ref readonly' parameter",
                    };
                    Report(DiagnosticDescriptors.ByRefParameter, location, p.Name, entry.Display, how);
                    valid = false;
                    continue;
                }
                if (KnownNames.Is(p.Type, KnownNames.CancellationToken))
                {
                    if (firstToken < 0)
                    {
                        firstToken = i;
                    }
                    else
                    {
                        Report(DiagnosticDescriptors.MultipleCancellationTokens, location, entry.Display, p.Name);
                        valid = false;
                    }
                    continue;
                }
                if (!CheckPayloadType(p.Type, "Parameter '" + p.Name + "'", entry, parameterSyntax?.Type?.GetLocation() ?? location))
                    valid = false;
            }

            if (firstToken >= 0)
            {
                for (int i = firstToken + 1; i < method.Parameters.Length; i++)
                {
                    if (!KnownNames.Is(method.Parameters[i].Type, KnownNames.CancellationToken))
                    {
                        var token = method.Parameters[firstToken];
                        var tokenSyntax = own ? token.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) : null;
                        Report(DiagnosticDescriptors.CancellationTokenNotLast, tokenSyntax?.GetLocation() ?? entry.Location, token.Name, entry.Display);
                        valid = false;
                        break;
                    }
                }
            }
            return valid;
        }

        /// <summary>The generator's payload rule; reports why a type fails it (unless the compiler already reports a missing type).</summary>
        private bool CheckPayloadType(ITypeSymbol type, string role, MethodEntry entry, Location location)
        {
            if (TypeChecks.IsPayloadType(type, _compilation))
            {
                _info.Payloads.Add(new PayloadUse(type, role, entry, location));
                return true;
            }
            if (ContainsErrorType(type))
            {
                _info.HasErrors = true;
                return false;
            }
            Report(DiagnosticDescriptors.UnsupportedType, location, role, entry.Display, type.ToDisplayString(ShortTypeFormat), WhyNotPayload(type) ?? "cannot be a payload");
            return false;
        }

        private static bool ContainsErrorType(ITypeSymbol type) => type switch
        {
            IErrorTypeSymbol => true,
            IArrayTypeSymbol a => ContainsErrorType(a.ElementType),
            IPointerTypeSymbol p => ContainsErrorType(p.PointedAtType),
            INamedTypeSymbol n => n.TypeKind == TypeKind.Error || n.TypeArguments.Any(ContainsErrorType) || (n.ContainingType is { } c && ContainsErrorType(c)),
            _ => false,
        };

        private string? WhyNotPayload(ITypeSymbol type)
        {
            if (type.IsRefLikeType)
                return "is a ref struct and cannot leave the stack";
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return WhyNotPayload(array.ElementType);
                case INamedTypeSymbol named:
                    if (named.IsUnboundGenericType)
                        return "is an open generic type";
                    if (named.SpecialType == SpecialType.System_Void)
                        return "is void";
                    if (named.IsStatic)
                        return "is a static class";
                    if (!TypeChecks.IsReachable(named, _compilation))
                        return "is private or protected, so generated code cannot name it";
                    for (var t = named; t is not null; t = t.ContainingType)
                    {
                        foreach (var argument in t.TypeArguments)
                        {
                            if (WhyNotPayload(argument) is { } why)
                                return "has a type argument that " + why;
                        }
                    }
                    return null;
                case IPointerTypeSymbol:
                    return "is a pointer";
                case IFunctionPointerTypeSymbol:
                    return "is a function pointer";
                case ITypeParameterSymbol:
                    return "is a type parameter";
                case IDynamicTypeSymbol:
                    return "has no System.Text.Json metadata";
                default:
                    return "cannot be serialized";
            }
        }

        /// <summary>MethodParser.Signature: R:/E:, the result (or void), then "Type name" of each payload parameter.</summary>
        private string Signature(ITypeSymbol? result, IMethodSymbol method)
        {
            var sb = new StringBuilder(_isEvent ? "E:" : "R:");
            sb.Append(result is null ? "void" : TypeNames.Canonical(result)).Append('(');
            bool first = true;
            foreach (var p in method.Parameters)
            {
                if (KnownNames.Is(p.Type, KnownNames.CancellationToken))
                    continue;
                if (!first)
                    sb.Append(',');
                sb.Append(TypeNames.Canonical(p.Type)).Append(' ').Append(p.Name);
                first = false;
            }
            return sb.Append(')').ToString();
        }

        // ---- method IDs (ContractParser.HasDuplicateIds, plus aliases for untyped calls) ----

        private void CheckMethodIds()
        {
            var methods = _info.Methods;
            for (int i = 1; i < methods.Count; i++)
            {
                var m = methods[i];
                MethodEntry? sameId = null, sameAlias = null;
                for (int j = 0; j < i; j++)
                {
                    if (sameId is null && methods[j].Id == m.Id)
                        sameId = methods[j];
                    if (sameAlias is null && methods[j].Alias == m.Alias)
                        sameAlias = methods[j];
                }

                if (sameId is not null)
                {
                    if (sameId.Symbol.Name == m.Symbol.Name && !m.HasAlias && !m.HasExplicitId && !sameId.HasAlias && !sameId.HasExplicitId)
                    {
                        var properties = new Dictionary<string, string?> { [DiagnosticDescriptors.AliasProperty] = SuggestAlias(m) };
                        Report(DiagnosticDescriptors.OverloadWithoutAlias, m.Location, properties, m.Display + ParameterList(m.Symbol), sameId.Display + ParameterList(sameId.Symbol), m.Alias);
                    }
                    else
                    {
                        Report(DiagnosticDescriptors.DuplicateMethodId, m.Location, m.Display, "the wire ID " + Baseline.BaselineFormat.Hex(m.Id), sameId.Display,
                            m.HasExplicitId ? "set with Id" : "the FNV-1a hash of alias '" + m.Alias + "'");
                    }
                }
                else if (sameAlias is not null)
                {
                    bool overload = sameAlias.Symbol.Name == m.Symbol.Name;
                    Report(DiagnosticDescriptors.DuplicateMethodId, m.Location,
                        m.Display + (overload ? ParameterList(m.Symbol) : ""), "the alias '" + m.Alias + "'",
                        sameAlias.Display + (overload ? ParameterList(sameAlias.Symbol) : ""),
                        "untyped calls find methods by alias");
                }
            }
        }

        private static string ParameterList(IMethodSymbol method) =>
            "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(ShortTypeFormat))) + ")";

        /// <summary><c>Name(int, string)</c>, made unique among the contract's aliases.</summary>
        private string SuggestAlias(MethodEntry method)
        {
            string baseAlias = method.Symbol.Name + ParameterList(method.Symbol).Replace("?", "");
            string alias = baseAlias;
            for (int n = 2; _info.Methods.Any(m => m.Alias == alias || m.Id == Fnv1a.Hash32(alias)); n++)
                alias = baseAlias + "#" + n;
            return alias;
        }
    }

    internal static class DictionaryExtensions
    {
        public static System.Collections.Immutable.ImmutableDictionary<string, string?> ToImmutableDictionarySafe(this IEnumerable<KeyValuePair<string, string?>> pairs) =>
            System.Collections.Immutable.ImmutableDictionary.CreateRange(pairs);
    }
}
