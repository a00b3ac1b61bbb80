using System.Collections.Generic;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Json
{
    /// <summary>Finds values source-generated System.Text.Json cannot round-trip: object, dynamic, delegates, non-polymorphic abstractions.</summary>
    internal static class AotSafety
    {
        public sealed class Finding
        {
            public Finding(ITypeSymbol type, string? memberPath, string reason, string remedy)
            {
                Type = type;
                MemberPath = memberPath;
                Reason = reason;
                Remedy = remedy;
            }

            /// <summary>The offending type.</summary>
            public ITypeSymbol Type { get; }

            /// <summary>Null when the payload type itself is the problem, else e.g. <c>Order.Extra</c>.</summary>
            public string? MemberPath { get; }

            public string Reason { get; }

            /// <summary>What to use instead (the end of "use ..."): only remedies that work at run time.</summary>
            public string Remedy { get; }
        }

        /// <summary>The first problem in <paramref name="type"/>, its elements, type arguments and (for the user's types) serialized members.</summary>
        public static Finding? Find(ITypeSymbol type) =>
            Find(type, null, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));

        private static Finding? Find(ITypeSymbol type, string? path, HashSet<ITypeSymbol> visited)
        {
            if (type.TypeKind == TypeKind.Error || !visited.Add(type))
                return null;
            if (Reason(type, out string remedy) is { } reason)
                return new Finding(type, path, reason, remedy);

            if (JsonShapes.ElementTypes(type) is { } elements)
            {
                foreach (var element in elements)
                {
                    if (Find(element, path, visited) is { } f)
                        return f;
                }
                return null;
            }
            if (JsonShapes.IsLeaf(type))
                return null;
            foreach (var (member, memberType) in JsonShapes.SerializedMembers(type, includeFields: false))
            {
                if (Find(memberType, (path ?? type.Name) + "." + member.Name, visited) is { } f)
                    return f;
            }
            return null;
        }

        private const string ConcreteType = "a concrete type";
        private const string ConcreteOrPolymorphic = "a concrete type, or put [JsonPolymorphic]/[JsonDerivedType] on the base type";
        private const string IgnoreOrReplace = "[JsonIgnore] on that member, or a serializable type in its place";

        private static string? Reason(ITypeSymbol type, out string remedy)
        {
            remedy = ConcreteType;
            if (type.TypeKind == TypeKind.Dynamic)
                return "'dynamic' cannot be read back into a typed value";
            if (type.SpecialType == SpecialType.System_Object)
                return "'object' is written by its run-time type (whose metadata nobody registers) and read back as a JsonElement";
            remedy = IgnoreOrReplace;
            if (type.TypeKind == TypeKind.Delegate || type.SpecialType is SpecialType.System_Delegate or SpecialType.System_MulticastDelegate)
                return "delegates cannot be serialized";
            // Before the interface/abstract rule: [JsonPolymorphic] is no answer for a Stream or an IAsyncEnumerable<T>.
            if (PayloadRules.Streaming(type) is { } streaming)
                return streaming.What + " are not supported in contracts";
            bool isInterface = type.TypeKind == TypeKind.Interface;
            bool isAbstract = type.TypeKind == TypeKind.Class && type.IsAbstract;
            if ((isInterface || isAbstract) &&
                JsonShapes.ElementTypes(type) is null &&
                !JsonShapes.IsPolymorphic(type) &&
                !JsonShapes.HasAttribute(type, JsonShapes.JsonConverterAttribute) &&
                !IsJsonDom(type))
            {
                remedy = ConcreteOrPolymorphic;
                return isInterface
                    ? "an interface without [JsonPolymorphic] or [JsonDerivedType] cannot be written or read from source-generated metadata"
                    : "an abstract class without [JsonPolymorphic] or [JsonDerivedType] cannot be written or read from source-generated metadata";
            }
            return null;
        }

        /// <summary>JsonNode and friends (System.Text.Json and its sub-namespaces) have converters of their own.</summary>
        private static bool IsJsonDom(ITypeSymbol type)
        {
            string? ns = type.ContainingNamespace?.ToDisplayString();
            return ns is not null && (ns == "System.Text.Json" || ns.StartsWith("System.Text.Json.", System.StringComparison.Ordinal));
        }
    }
}
