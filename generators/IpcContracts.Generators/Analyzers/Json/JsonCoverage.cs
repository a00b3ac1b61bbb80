using System.Collections.Generic;
using System.Linq;
using System.Threading;
using IpcContracts.Analyzers.Model;
using IpcContracts.Generators.Rules;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Json
{
    /// <summary>
    /// The JSON metadata generated code can reach: the types the generator's contexts declare with [JsonSerializable] (and
    /// what STJ's generator reaches from them: members, elements, derived types), plus the runtime's BuiltInJson context.
    /// Which contexts count is the generator's own rule (<see cref="JsonContextRules"/>): the contexts named by
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

            var named = new List<INamedTypeSymbol>();
            foreach (var attribute in compilation.Assembly.GetAttributes())
            {
                if (AttributeReader.IsAttribute(attribute, KnownNames.IpcJsonContextAttribute) &&
                    attribute.ConstructorArguments.Length == 1 &&
                    attribute.ConstructorArguments[0].Value is INamedTypeSymbol type &&
                    WhyNotUsableContext(type, compilation) is null)
                {
                    named.Add(type);
                }
            }
            coverage.UsesNamedContexts = named.Count > 0;
            coverage.Contexts.AddRange(JsonContextRules.Select(
                named,
                index.ContextClasses.Where(c => WhyNotUsableContext(c, compilation) is null && c.GetAttributes().Any(IsJsonSerializable)),
                c => TypeNames.Code(c)));

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

        /// <summary>The generator's rule for a usable context (<see cref="JsonContextRules.WhyNotUsable"/>).</summary>
        public static string? WhyNotUsableContext(INamedTypeSymbol type, Compilation compilation) => JsonContextRules.WhyNotUsable(type, compilation);

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
