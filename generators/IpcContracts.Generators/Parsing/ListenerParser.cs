using System.Collections.Generic;
using System.Linq;
using IpcContracts.Generators.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>
    /// Decides where an event contract's listener base class goes and whether it can be emitted at all (the design
    /// is described on ListenerEmitter). Kept apart from the rulebook (Rules/ContractRules.cs), which calls it once
    /// with the finished model, so the contract rules can change without touching this. Every "no" returns null: the
    /// contract itself is still generated, only its listener is left out, and an existing user type never breaks
    /// because of it.
    /// </summary>
    internal static class ListenerParser
    {
        private const string ObsoleteAttribute = "System.ObsoleteAttribute";
        private const string CancellationTokenCode = "global::System.Threading.CancellationToken";

        /// <summary>Non-virtual or virtual members of <see cref="object"/> an event method would hide (CS0108/CS0114): name and parameter types.</summary>
        private static readonly (string Name, string Parameters)[] ObjectMembers =
        {
            ("ToString", ""), ("GetHashCode", ""), ("GetType", ""), ("MemberwiseClone", ""), ("Finalize", ""),
            ("Equals", "object"), ("Equals", "object,object"), ("ReferenceEquals", "object,object"),
        };

        private static readonly SymbolDisplayFormat NamespaceFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

        public static ListenerModel? Parse(INamedTypeSymbol contract, ContractModel model)
        {
            if (contract.IsFileLocal)
                return null; // a file-local interface cannot be named from the generated file
            string name = ListenerName(contract.Name);

            // Nested contracts: the listener is a member of the same containers, which only works when they are partial.
            var containers = new List<ListenerContainer>();
            for (var outer = contract.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                if (!IsPartial(outer) || Keyword(outer) is not { } keyword)
                    return null;
                containers.Insert(0, new ListenerContainer(keyword, TypeNames.EscapeIdentifier(outer.Name)));
            }

            if (IsTaken(contract, name) || !MembersFit(model, name))
                return null;

            return new ListenerModel(
                contract.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString(NamespaceFormat) : null,
                containers.ToEquatableArray(),
                name,
                Accessibility(contract.DeclaredAccessibility),
                Obsolete(contract),
                model.FullName + ".IpcListener.g.cs");
        }

        /// <summary>
        /// The interface name without the interface prefix (an 'I' followed by an upper-case letter), plus "Listener":
        /// IInventoryEvents -> InventoryEventsListener, Ticks -> TicksListener, Ideas -> IdeasListener.
        /// </summary>
        public static string ListenerName(string interfaceName) =>
            (interfaceName.Length > 1 && interfaceName[0] == 'I' && char.IsUpper(interfaceName[1]) ? interfaceName.Substring(1) : interfaceName) + "Listener";

        /// <summary>
        /// True when the name is already used where the listener would go: a type, namespace or member of that name
        /// (from source or a reference; generator output is not in the compilation, so this never sees our own
        /// listener), the container's own name, or an [EventContract] interface 'I' + name whose listener claims it.
        /// </summary>
        private static bool IsTaken(INamedTypeSymbol contract, string name)
        {
            INamespaceOrTypeSymbol scope = (INamespaceOrTypeSymbol?)contract.ContainingType ?? contract.ContainingNamespace;
            if (scope.GetMembers(name).Any() || scope.Name == name && scope is ITypeSymbol)
                return true;
            if (ListenerName(contract.Name) == contract.Name + "Listener")
            {
                // Not I-prefixed, so "IFoo" would map to the same name; the I-prefixed contract keeps it.
                foreach (var sibling in scope.GetTypeMembers("I" + contract.Name))
                {
                    if (sibling.TypeKind == TypeKind.Interface &&
                        sibling.GetAttributes().Any(a => AttributeReader.IsAttribute(a, KnownNames.EventContractAttribute)))
                        return true;
                }
            }
            return false;
        }

        /// <summary>
        /// One public virtual method per event must compile warning-free: none named like the class (CS0542), no two
        /// with the same name and parameter types (an inherited method re-declared, or a diamond, would leave one body
        /// for two events), none hiding a member of object (CS0108/CS0114).
        /// </summary>
        private static bool MembersFit(ContractModel model, string name)
        {
            var signatures = new HashSet<string>();
            foreach (var m in model.Methods)
            {
                string plainName = m.Name.TrimStart('@');
                if (plainName == name)
                    return false;
                var types = m.Parameters.Select(p => p.Type.MetadataCode).ToList();
                if (m.CancellationTokenIdentifier is not null)
                    types.Add(CancellationTokenCode);
                string parameters = string.Join(",", types);
                if (!signatures.Add(plainName + "(" + parameters + ")"))
                    return false;
                if (ObjectMembers.Any(o => o.Name == plainName && o.Parameters == parameters))
                    return false;
            }
            return true;
        }

        private static bool IsPartial(INamedTypeSymbol type)
        {
            if (type.DeclaringSyntaxReferences.IsEmpty)
                return false;
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not TypeDeclarationSyntax declaration ||
                    !declaration.Modifiers.Any(m => m.IsKind(SyntaxKind.PartialKeyword)))
                    return false;
            }
            return true;
        }

        /// <summary>The keyword a partial re-declaration needs; modifiers (static, sealed, accessibility) may be left to the user's part.</summary>
        private static string? Keyword(INamedTypeSymbol type) => type.TypeKind switch
        {
            TypeKind.Class => type.IsRecord ? "record" : "class",
            // ref and readonly must be repeated on every part of a struct: keep it simple and decline those.
            TypeKind.Struct when type.IsRefLikeType || type.IsReadOnly => null,
            TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
            TypeKind.Interface => "interface",
            _ => null,
        };

        private static string Accessibility(Accessibility accessibility) => accessibility switch
        {
            Microsoft.CodeAnalysis.Accessibility.Public => "public",
            Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
            Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
            Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
            Microsoft.CodeAnalysis.Accessibility.Private => "private",
            _ => "internal",
        };

        /// <summary>The contract's [Obsolete] re-created as source (message, error flag and named arguments), or null.</summary>
        private static string? Obsolete(INamedTypeSymbol contract)
        {
            var attribute = contract.GetAttributes().FirstOrDefault(a => AttributeReader.IsAttribute(a, ObsoleteAttribute));
            if (attribute is null)
                return null;
            var arguments = new List<string>();
            foreach (var argument in attribute.ConstructorArguments)
            {
                switch (argument.Value)
                {
                    case string s: arguments.Add(SymbolDisplay.FormatLiteral(s, quote: true)); break;
                    case bool b: arguments.Add(b ? "true" : "false"); break;
                    default: arguments.Add("null"); break;
                }
            }
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Value.Value is string s)
                    arguments.Add(named.Key + " = " + SymbolDisplay.FormatLiteral(s, quote: true));
            }
            return "[global::System.Obsolete(" + string.Join(", ", arguments) + ")]";
        }
    }
}
