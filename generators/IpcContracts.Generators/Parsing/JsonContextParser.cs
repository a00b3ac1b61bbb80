using System;
using System.Collections.Generic;
using System.Threading;
using IpcContracts.Generators.Models;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>Finds the user's JsonSerializerContexts and the types each one declares with [JsonSerializable].</summary>
    internal static class JsonContextParser
    {
        /// <summary>A class carrying [JsonSerializable]: a context if it derives from JsonSerializerContext.</summary>
        public static JsonContextModel? ParseDeclaredContext(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            try
            {
                return context.TargetSymbol is INamedTypeSymbol type ? ParseContextType(type, context.SemanticModel.Compilation) : null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return null;
            }
        }

        /// <summary>The contexts named by <c>[assembly: IpcJsonContext(typeof(X))]</c> in one file, in declaration order.</summary>
        public static EquatableArray<JsonContextModel> ParseNamedContexts(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            try
            {
                var compilation = context.SemanticModel.Compilation;
                var result = new List<JsonContextModel>();
                foreach (var attribute in context.Attributes)
                {
                    if (attribute.ConstructorArguments.Length == 1 &&
                        attribute.ConstructorArguments[0].Value is INamedTypeSymbol type &&
                        ParseContextType(type, compilation) is { } model)
                    {
                        result.Add(model);
                    }
                }
                return result.ToEquatableArray();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return EquatableArray<JsonContextModel>.Empty;
            }
        }

        private static JsonContextModel? ParseContextType(INamedTypeSymbol type, Compilation compilation)
        {
            if (JsonContextRules.WhyNotUsable(type, compilation) is not null)
                return null;

            var types = new List<MessageTypeModel>();
            foreach (var attribute in type.GetAttributes())
            {
                // Open generics and unreachable types cannot be named by generated code: not message types.
                if (AttributeReader.IsAttribute(attribute, KnownNames.JsonSerializableAttribute) &&
                    attribute.ConstructorArguments.Length == 1 &&
                    attribute.ConstructorArguments[0].Value is ITypeSymbol serializable &&
                    PayloadRules.IsPayload(serializable, compilation))
                {
                    types.Add(TypeNames.ToMessageType(TypeNames.ToTypeRef(serializable)));
                }
            }
            return new JsonContextModel(TypeNames.Code(type), types.ToEquatableArray());
        }
    }
}
