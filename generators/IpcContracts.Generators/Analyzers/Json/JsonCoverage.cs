using System.Collections.Generic;
using System.Linq;
using System.Threading;
using IpcContracts.Analyzers.Model;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Json
{
    /// <summary>
    /// The JSON metadata generated code can reach: the types the generator's contexts declare with [JsonSerializable] (and
    /// what STJ's generator reaches from them: members, elements, derived types), plus the runtime's BuiltInJson context.
    /// Context discovery mirrors the generator (AssemblyModelBuilder and JsonContextParser): the contexts named by
    /// [assembly: IpcJsonContext] if any is usable, otherwise every usable context in the compilation with a [JsonSerializable].
    /// </summary>
    internal sealed class JsonCoverage
    {
        public const string BuiltInJson = "IpcContracts.Serialization.BuiltInJson";

        private readonly HashSet<ITypeSymbol> _covered = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);

        private JsonCoverage()
        {
        }

        /// <summary>The contexts the generated IpcJsonTypes resolves from, in precedence order.</summary>
        public List<INamedTypeSymbol> Contexts { get; } = new List<INamedTypeSymbol>();

        /// <summary>[assembly: IpcJsonContext] names at least one usable context, so only those count.</summary>
        public bool UsesNamedContexts { get; private set; }

        /// <summary>The source context a code fix adds [JsonSerializable] to; null when the fix must create one.</summary>
        public INamedTypeSymbol? FixTarget { get; private set; }

        public bool IsCovered(ITypeSymbol type) => _covered.Contains(type);

        public static JsonCoverage Create(Compilation compilation, SourceIndex index, CancellationToken cancellationToken)
        {
            var coverage = new JsonCoverage();

            foreach (var attribute in compilation.Assembly.GetAttributes())
            {
                if (AttributeReader.IsAttribute(attribute, KnownNames.IpcJsonContextAttribute) &&
                    attribute.ConstructorArguments.Length == 1 &&
                    attribute.ConstructorArguments[0].Value is INamedTypeSymbol named &&
                    WhyNotUsableContext(named, compilation) is null &&
                    !coverage.Contexts.Contains(named, SymbolEqualityComparer.Default))
                {
                    coverage.Contexts.Add(named);
                }
            }
            coverage.UsesNamedContexts = coverage.Contexts.Count > 0;

            if (!coverage.UsesNamedContexts)
            {
                coverage.Contexts.AddRange(index.ContextClasses
                    .Where(c => WhyNotUsableContext(c, compilation) is null && c.GetAttributes().Any(IsJsonSerializable))
                    .OrderBy(c => TypeNames.Code(c), System.StringComparer.Ordinal));
            }

            coverage.FixTarget = coverage.Contexts.FirstOrDefault(c => c.DeclaringSyntaxReferences.Length > 0);
            if (coverage.FixTarget is null && !coverage.UsesNamedContexts)
            {
                // A context without any [JsonSerializable] yet: the generator does not see it, but the fix can fill it.
                coverage.FixTarget = index.ContextClasses
                    .Where(c => WhyNotUsableContext(c, compilation) is null)
                    .OrderBy(c => TypeNames.Code(c), System.StringComparer.Ordinal)
                    .FirstOrDefault();
            }

            var walker = new Walker(coverage._covered);
            foreach (var context in coverage.Contexts)
            {
                cancellationToken.ThrowIfCancellationRequested();
                walker.AddContext(context);
            }
            if (compilation.GetTypeByMetadataName(BuiltInJson) is { } builtIn)
                walker.AddContext(builtIn);
            return coverage;
        }

        public static bool IsJsonSerializable(AttributeData attribute) =>
            AttributeReader.IsAttribute(attribute, KnownNames.JsonSerializableAttribute);

        /// <summary>JsonContextParser.ParseContextType's conditions; null when the generator would use the class.</summary>
        public static string? WhyNotUsableContext(INamedTypeSymbol type, Compilation compilation)
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

        private sealed class Walker
        {
            private readonly HashSet<ITypeSymbol> _seen;

            public Walker(HashSet<ITypeSymbol> seen) => _seen = seen;

            public void AddContext(INamedTypeSymbol context)
            {
                bool includeFields = context.GetAttributes().Any(a =>
                    KnownNames.Is(a.AttributeClass, JsonShapes.JsonSourceGenerationOptionsAttribute) &&
                    a.NamedArguments.Any(n => n.Key == "IncludeFields" && n.Value.Value is true));
                foreach (var attribute in context.GetAttributes())
                {
                    if (IsJsonSerializable(attribute) && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is ITypeSymbol type)
                        Visit(type, includeFields);
                }
            }

            private void Visit(ITypeSymbol type, bool includeFields)
            {
                if (type.TypeKind == TypeKind.Error || type is ITypeParameterSymbol || !_seen.Add(type))
                    return;
                if (JsonShapes.ElementTypes(type) is { } elements)
                {
                    foreach (var element in elements)
                        Visit(element, includeFields);
                    return;
                }
                if (JsonShapes.IsLeaf(type))
                    return;
                foreach (var derived in JsonShapes.DerivedTypes(type))
                    Visit(derived, includeFields);
                foreach (var (_, memberType) in JsonShapes.SerializedMembers(type, includeFields))
                    Visit(memberType, includeFields);
            }
        }
    }
}
