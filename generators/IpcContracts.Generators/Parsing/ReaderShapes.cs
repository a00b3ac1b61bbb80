using System.Collections.Generic;
using System.Linq;
using IpcContracts.Generators.Models;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>
    /// Which payload types get a generated JSON reader, and with which constructor: a class or struct that System.Text.Json
    /// builds through one public constructor with parameters (a positional record, an immutable class), whose parameters
    /// are all of the simple types the reader handles. Everything else is read by System.Text.Json alone. Only what must be
    /// true for the emitted code to compile is decided here; whether System.Text.Json really reads the type this way (the
    /// constructor it picks, attributes, options) is checked at run time against its own metadata
    /// (IpcContracts.Serialization.GeneratedReaderCheck), so a mistake here costs speed, never a wrong value.
    /// </summary>
    internal static class ReaderShapes
    {
        private const int MaxParameters = 64; // one bit each in the generated reader's "seen" mask

        public static ReaderShape? Of(ITypeSymbol type)
        {
            if (type is not INamedTypeSymbol named || named.TypeKind is not (TypeKind.Class or TypeKind.Struct) ||
                named.IsAbstract || named.IsStatic || named.IsGenericType || named.SpecialType != SpecialType.None ||
                named.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal) || IsNestedInGeneric(named) ||
                named.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable))
                return null;

            var constructor = ChooseConstructor(named);
            if (constructor is null || constructor.Parameters.Length is 0 or > MaxParameters)
                return null;
            // `new T(...)` does not compile when T has required members and the constructor does not set them.
            if (HasRequiredMembers(named) && !constructor.GetAttributes().Any(a => AttributeReader.IsAttribute(a, KnownNames.SetsRequiredMembersAttribute)))
                return null;

            var parameters = new List<ReaderParameter>();
            foreach (var parameter in constructor.Parameters)
            {
                if (parameter.RefKind != RefKind.None || parameter.IsParams || ValueMethod(parameter.Type) is not { } method)
                    return null;
                parameters.Add(new ReaderParameter(parameter.Name, TypeNames.MetadataCode(parameter.Type), method));
            }
            return new ReaderShape(parameters.ToEquatableArray());
        }

        /// <summary>
        /// System.Text.Json's choice, as far as it can be seen here: a public <c>[JsonConstructor]</c>, else none when there
        /// is a public parameterless one (the reader does not set properties), else the only public one. A record's copy
        /// constructor is not public.
        /// </summary>
        private static IMethodSymbol? ChooseConstructor(INamedTypeSymbol type)
        {
            var candidates = type.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public && !(c.IsImplicitlyDeclared && c.Parameters.Length == 0))
                .ToList();
            var marked = candidates.Where(c => c.GetAttributes().Any(a => AttributeReader.IsAttribute(a, KnownNames.JsonConstructorAttribute))).ToList();
            if (marked.Count == 1)
                return marked[0];
            if (type.TypeKind == TypeKind.Class && type.InstanceConstructors.Any(c => c.DeclaredAccessibility == Accessibility.Public && c.Parameters.Length == 0))
                return null;
            return candidates.Count == 1 ? candidates[0] : null;
        }

        private static string? ValueMethod(ITypeSymbol type) => type.SpecialType switch
        {
            SpecialType.System_String => "String",
            SpecialType.System_Boolean => "Boolean",
            SpecialType.System_Int32 => "Int32",
            SpecialType.System_Int64 => "Int64",
            SpecialType.System_Double => "Double",
            SpecialType.System_Single => "Single",
            SpecialType.System_Decimal => "Decimal",
            SpecialType.System_DateTime => "DateTime",
            _ => KnownNames.Is(type, "System.Guid") ? "Guid" : KnownNames.Is(type, "System.DateTimeOffset") ? "DateTimeOffset" : null,
        };

        private static bool HasRequiredMembers(INamedTypeSymbol type)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (t.GetMembers().Any(m => m is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true }))
                    return true;
            }
            return false;
        }

        private static bool IsNestedInGeneric(INamedTypeSymbol type)
        {
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                if (outer.IsGenericType)
                    return true;
            }
            return false;
        }
    }
}
