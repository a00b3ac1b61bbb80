using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Rules
{
    /// <summary>Symbol checks the rules share: can generated code name a symbol, is a type generic, what it derives from.</summary>
    internal static class TypeChecks
    {
        /// <summary>
        /// True when code added to this compilation can name the symbol: IsSymbolAccessibleWithin the
        /// assembly rejects private and protected nesting, and honours InternalsVisibleTo for references.
        /// </summary>
        public static bool IsReachable(ISymbol symbol, Compilation compilation) =>
            compilation.IsSymbolAccessibleWithin(symbol, compilation.Assembly);

        /// <summary>True when the type or any type containing it declares type parameters.</summary>
        public static bool IsGenericAnywhere(INamedTypeSymbol type)
        {
            for (var t = type; t is not null; t = t.ContainingType)
            {
                if (t.TypeParameters.Length > 0)
                    return true;
            }
            return false;
        }

        public static bool DerivesFrom(INamedTypeSymbol type, string baseMetadataName)
        {
            for (var t = type.BaseType; t is not null; t = t.BaseType)
            {
                if (KnownNames.Is(t, baseMetadataName))
                    return true;
            }
            return false;
        }
    }
}
