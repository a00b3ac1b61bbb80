using System.Collections.Generic;
using IpcContracts.Generators.Parsing;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Json
{
    /// <summary>How System.Text.Json's source generator sees a type: a collection, a leaf with a built-in converter, or an object with members.</summary>
    internal static class JsonShapes
    {
        private const string SerializationNamespace = "System.Text.Json.Serialization.";
        public const string JsonConverterAttribute = SerializationNamespace + "JsonConverterAttribute";
        public const string JsonIgnoreAttribute = SerializationNamespace + "JsonIgnoreAttribute";
        public const string JsonIncludeAttribute = SerializationNamespace + "JsonIncludeAttribute";
        public const string JsonPolymorphicAttribute = SerializationNamespace + "JsonPolymorphicAttribute";
        public const string JsonDerivedTypeAttribute = SerializationNamespace + "JsonDerivedTypeAttribute";
        public const string JsonSourceGenerationOptionsAttribute = SerializationNamespace + "JsonSourceGenerationOptionsAttribute";

        /// <summary>Element, key and value types STJ reaches without looking at members; null when the type is not a collection.</summary>
        public static IEnumerable<ITypeSymbol>? ElementTypes(ITypeSymbol type)
        {
            if (type is IArrayTypeSymbol array)
                return new[] { array.ElementType };
            if (type is not INamedTypeSymbol named || named.SpecialType == SpecialType.System_String)
                return null;
            if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
                return new[] { named.TypeArguments[0] };

            INamedTypeSymbol? enumerable = null;
            foreach (var candidate in SelfAndInterfaces(named))
            {
                var definition = candidate.OriginalDefinition;
                if (KnownNames.Is(definition, "System.Collections.Generic.IDictionary`2") ||
                    KnownNames.Is(definition, "System.Collections.Generic.IReadOnlyDictionary`2"))
                    return candidate.TypeArguments;
                if (enumerable is null &&
                    (KnownNames.Is(definition, "System.Collections.Generic.IEnumerable`1") || KnownNames.Is(definition, "System.Collections.Generic.IAsyncEnumerable`1")))
                    enumerable = candidate;
            }
            if (enumerable is not null)
                return enumerable.TypeArguments;
            foreach (var candidate in SelfAndInterfaces(named))
            {
                if (KnownNames.Is(candidate, "System.Collections.IEnumerable"))
                    return new ITypeSymbol[0];
            }
            return null;
        }

        private static IEnumerable<INamedTypeSymbol> SelfAndInterfaces(INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Interface)
                yield return type;
            foreach (var i in type.AllInterfaces)
                yield return i;
        }

        /// <summary>True for types STJ handles with a converter of its own (primitives, BCL types, enums) or the user's [JsonConverter].</summary>
        public static bool IsLeaf(ITypeSymbol type)
        {
            if (type.SpecialType != SpecialType.None || type.TypeKind == TypeKind.Enum)
                return true;
            if (HasAttribute(type, JsonConverterAttribute))
                return true;
            return IsFrameworkType(type);
        }

        /// <summary>Types in System.* namespaces: STJ either has a converter for them or they are not data.</summary>
        public static bool IsFrameworkType(ITypeSymbol type)
        {
            var ns = type.ContainingNamespace;
            while (ns is { IsGlobalNamespace: false } && !ns.ContainingNamespace.IsGlobalNamespace)
                ns = ns.ContainingNamespace;
            return ns is { IsGlobalNamespace: false, Name: "System" };
        }

        public static bool HasAttribute(ISymbol symbol, string metadataName)
        {
            foreach (var a in symbol.GetAttributes())
            {
                if (KnownNames.Is(a.AttributeClass, metadataName))
                    return true;
            }
            return false;
        }

        /// <summary>Types named by [JsonDerivedType(typeof(X))] on the type.</summary>
        public static IEnumerable<ITypeSymbol> DerivedTypes(ITypeSymbol type)
        {
            foreach (var a in type.GetAttributes())
            {
                if (KnownNames.Is(a.AttributeClass, JsonDerivedTypeAttribute) && a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value is ITypeSymbol derived)
                    yield return derived;
            }
        }

        public static bool IsPolymorphic(ITypeSymbol type) =>
            HasAttribute(type, JsonPolymorphicAttribute) || HasAttribute(type, JsonDerivedTypeAttribute);

        /// <summary>
        /// The members STJ serializes: public instance properties (not indexers, not [JsonIgnore] always), non-public ones
        /// with [JsonInclude], and fields when the context includes fields or the field has [JsonInclude].
        /// </summary>
        public static IEnumerable<(ISymbol Member, ITypeSymbol Type)> SerializedMembers(ITypeSymbol type, bool includeFields)
        {
            var seen = new HashSet<string>();
            for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object && t.SpecialType != SpecialType.System_ValueType; t = t.BaseType)
            {
                foreach (var member in t.GetMembers())
                {
                    if (member.IsStatic || member.IsImplicitlyDeclared || !seen.Add(member.Name))
                        continue;
                    bool include = HasAttribute(member, JsonIncludeAttribute);
                    if (IsIgnoredAlways(member))
                        continue;
                    switch (member)
                    {
                        case IPropertySymbol { IsIndexer: false } property when include || property.DeclaredAccessibility == Accessibility.Public:
                            yield return (property, property.Type);
                            break;
                        case IFieldSymbol field when include || (includeFields && field.DeclaredAccessibility == Accessibility.Public):
                            yield return (field, field.Type);
                            break;
                    }
                }
            }
        }

        private static bool IsIgnoredAlways(ISymbol member)
        {
            foreach (var a in member.GetAttributes())
            {
                if (!KnownNames.Is(a.AttributeClass, JsonIgnoreAttribute))
                    continue;
                foreach (var named in a.NamedArguments)
                {
                    // JsonIgnoreCondition.Always = 1; Never = 0, WhenWritingDefault = 2, WhenWritingNull = 3 still serialize.
                    if (named.Key == "Condition" && named.Value.Value is int condition && condition != 1)
                        return false;
                }
                return true;
            }
            return false;
        }
    }
}
