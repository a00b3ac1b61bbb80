using System.Text;
using IpcContracts.Generators.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>The renderings of a type the generator needs, each defined once here.</summary>
    internal static class TypeNames
    {
        /// <summary>Generated code: <c>global::</c>-qualified with nullable annotations, matching the interface exactly.</summary>
        private static readonly SymbolDisplayFormat CodeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>Generated code where annotations must not matter (the <c>T</c> of a shared <c>JsonTypeInfo&lt;T&gt;</c>).</summary>
        private static readonly SymbolDisplayFormat MetadataCodeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

        /// <summary>
        /// Wire names (signatures, message type names): FullyQualifiedFormat minus <c>global::</c>. It keeps C# keywords
        /// for special types (<c>string</c>, <c>int</c>), renders nullable value types as <c>int?</c>, tuples with their
        /// element names, and drops every nullable-reference <c>?</c>, so annotating a contract never changes its shape.
        /// </summary>
        public static readonly SymbolDisplayFormat CanonicalFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

        /// <summary>Source for identifiers: framework names instead of keywords (<c>System.String</c>), so the result is never a keyword.</summary>
        private static readonly SymbolDisplayFormat NamingFormat = CanonicalFormat
            .RemoveMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

        public static string Code(ITypeSymbol type) => type.ToDisplayString(CodeFormat);

        public static string Canonical(ITypeSymbol type) => type.ToDisplayString(CanonicalFormat);

        /// <summary>Generated code where nullable annotations do not matter: <c>global::</c>-qualified, no annotations.</summary>
        public static string MetadataCode(ITypeSymbol type) => type.ToDisplayString(MetadataCodeFormat);

        public static TypeRef ToTypeRef(ITypeSymbol type)
        {
            string canonical = Canonical(type);
            return new TypeRef(
                Code(type),
                type.ToDisplayString(MetadataCodeFormat),
                canonical,
                Identifiers.FromQualifiedName(type.ToDisplayString(NamingFormat), canonical, reserved: ReservedTypeInfoNames),
                Rules.BinaryTypes.Of(type),
                ReaderShapes.Of(type));
        }

        public static MessageTypeModel ToMessageType(TypeRef type) =>
            new(type.MetadataCode, type.CanonicalName, type.PropertyName, Fnv1a.Hash32(type.CanonicalName), type.Reader);

        /// <summary>Names IpcJsonTypes already uses, so no payload type's property may take them.</summary>
        private static readonly string[] ReservedTypeInfoNames = { "Options", "IpcJsonTypes" };

        /// <summary>Namespace, containing types and name joined with '.' (no <c>global::</c>, no <c>@</c>, no type arguments).</summary>
        public static string FullName(INamedTypeSymbol type)
        {
            var sb = new StringBuilder(type.Name);
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                sb.Insert(0, outer.Name + ".");
            for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
                sb.Insert(0, ns.Name + ".");
            return sb.ToString();
        }

        /// <summary>A name usable as a C# identifier: keywords get an <c>@</c>.</summary>
        public static string EscapeIdentifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
    }
}
