using System;
using System.Collections.Generic;
using System.Linq;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// Which JsonSerializerContexts the generated IpcJsonTypes resolves payload metadata from. The generator builds the
    /// table from these rules; the JSON analyzers (IPC0017-IPC0019) judge coverage by the same ones.
    /// </summary>
    internal static class JsonContextRules
    {
        /// <summary>Null when generated code can use the class as a context, else why not (the end of "because ...").</summary>
        public static string? WhyNotUsable(INamedTypeSymbol type, Compilation compilation)
        {
            if (type.TypeKind != TypeKind.Class)
                return "it is not a class";
            if (!TypeChecks.DerivesFrom(type, KnownNames.JsonSerializerContext))
                return "it does not derive from JsonSerializerContext";
            if (type.IsAbstract || type.IsStatic)
                return "it is abstract";
            if (TypeChecks.IsGenericAnywhere(type))
                return "it is generic";
            if (!TypeChecks.IsReachable(type, compilation))
                return "it is private or protected";
            return null;
        }

        /// <summary>
        /// The contexts in resolver precedence: those named by <c>[assembly: IpcJsonContext]</c> win outright, in
        /// declaration order; without any, every usable context of the compilation that declares a [JsonSerializable],
        /// ordered by its code name so the order is stable. Duplicates (partial declarations) count once.
        /// </summary>
        public static List<T> Select<T>(IEnumerable<T> named, IEnumerable<T> declared, Func<T, string> code)
        {
            var namedList = named.ToList();
            var chosen = namedList.Count > 0 ? namedList : declared.OrderBy(code, StringComparer.Ordinal).ToList();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            return chosen.Where(c => seen.Add(code(c))).ToList();
        }
    }
}
