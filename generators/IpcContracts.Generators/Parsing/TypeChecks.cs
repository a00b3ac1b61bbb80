using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>Checks that decide whether generated code can name and serialize a type.</summary>
    internal static class TypeChecks
    {
        /// <summary>
        /// True when code added to this compilation can name the symbol: IsSymbolAccessibleWithin the
        /// assembly rejects private and protected nesting, and honours InternalsVisibleTo for references.
        /// </summary>
        public static bool IsReachable(ISymbol symbol, Compilation compilation) =>
            compilation.IsSymbolAccessibleWithin(symbol, compilation.Assembly);

        /// <summary>True for a closed, reachable type that can travel as a JSON value.</summary>
        public static bool IsPayloadType(ITypeSymbol type, Compilation compilation)
        {
            if (type.IsRefLikeType)
                return false;
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return IsPayloadType(array.ElementType, compilation);
                case IDynamicTypeSymbol:
                    // The generated JsonTypeInfo<dynamic> field does not compile (CS8716): skip the contract, IPC0008 reports it.
                    return false;
                case INamedTypeSymbol named:
                    if (named.TypeKind == TypeKind.Error || named.IsUnboundGenericType || named.SpecialType == SpecialType.System_Void)
                        return false;
                    if (named.IsStatic || !IsReachable(named, compilation))
                        return false;
                    foreach (var argument in named.TypeArguments)
                    {
                        if (!IsPayloadType(argument, compilation))
                            return false;
                    }
                    return named.ContainingType is null || IsPayloadContainer(named.ContainingType, compilation);
                default:
                    // Pointers, function pointers, type parameters and error types.
                    return false;
            }
        }

        /// <summary>Type arguments of containing types (<c>Outer&lt;int&gt;.Inner</c>) must be closed too.</summary>
        private static bool IsPayloadContainer(INamedTypeSymbol container, Compilation compilation)
        {
            foreach (var argument in container.TypeArguments)
            {
                if (!IsPayloadType(argument, compilation))
                    return false;
            }
            return container.ContainingType is null || IsPayloadContainer(container.ContainingType, compilation);
        }

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
