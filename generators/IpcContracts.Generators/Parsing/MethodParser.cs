using System.Collections.Generic;
using System.Text;
using IpcContracts.Generators.Models;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>Turns one interface method into a <see cref="MethodModel"/>, or null when the shape is not supported.</summary>
    internal static class MethodParser
    {
        public static MethodModel? Parse(IMethodSymbol method, bool isEvent, string declaringInterface, Compilation compilation)
        {
            if (method.IsGenericMethod || method.IsVararg || method.ReturnsByRef || method.ReturnsByRefReadonly)
                return null;

            if (!TryGetReturnShape(method, isEvent, compilation, out var returns, out var result))
                return null;

            var parameters = new List<ParameterModel>(method.Parameters.Length);
            string? cancellationToken = null;
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                var p = method.Parameters[i];
                if (p.RefKind != RefKind.None)
                    return null;
                if (KnownNames.Is(p.Type, KnownNames.CancellationToken))
                {
                    // Only one, and only last: it is the call's token, not part of the payload.
                    if (i != method.Parameters.Length - 1)
                        return null;
                    cancellationToken = TypeNames.EscapeIdentifier(p.Name);
                    continue;
                }
                if (!TypeChecks.IsPayloadType(p.Type, compilation))
                    return null;
                parameters.Add(new ParameterModel(TypeNames.EscapeIdentifier(p.Name), p.Name, TypeNames.ToTypeRef(p.Type)));
            }

            string alias = method.Name;
            uint id = 0;
            foreach (var attribute in method.GetAttributes())
            {
                if (AttributeReader.IsAttribute(attribute, KnownNames.ContractMethodAttribute))
                {
                    var (a, i) = AttributeReader.ReadAliasAndId(attribute);
                    alias = a ?? alias;
                    id = i;
                }
            }

            string signature = Signature(isEvent, result, method);
            return new MethodModel(
                TypeNames.EscapeIdentifier(method.Name),
                MemberSuffix: method.Name,
                declaringInterface,
                alias,
                id != 0 ? id : Fnv1a.Hash32(alias),
                returns,
                result,
                parameters.ToEquatableArray(),
                cancellationToken,
                signature,
                Fnv1a.Hash64(signature));
        }

        private static bool TryGetReturnShape(IMethodSymbol method, bool isEvent, Compilation compilation, out ReturnShape shape, out TypeRef? result)
        {
            result = null;
            shape = ReturnShape.Void;
            if (method.ReturnsVoid)
                return isEvent;

            var type = method.ReturnType as INamedTypeSymbol;
            if (KnownNames.Is(type, KnownNames.TasksNamespace + ".Task"))
                shape = ReturnShape.Task;
            else if (KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask"))
                shape = ReturnShape.ValueTask;
            else if (!isEvent && KnownNames.Is(type, KnownNames.TasksNamespace + ".Task`1"))
                shape = ReturnShape.TaskOfT;
            else if (!isEvent && KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask`1"))
                shape = ReturnShape.ValueTaskOfT;
            else
                return false;

            if (shape is ReturnShape.TaskOfT or ReturnShape.ValueTaskOfT)
            {
                var t = type!.TypeArguments[0];
                if (!TypeChecks.IsPayloadType(t, compilation))
                    return false;
                result = TypeNames.ToTypeRef(t);
            }
            return true;
        }

        /// <summary>
        /// <c>R:</c>/<c>E:</c>, the result type (<c>void</c> when there is no value), then the payload parameters as
        /// <c>Type name</c> joined by ',' in parentheses; types use <see cref="TypeNames.CanonicalFormat"/>.
        /// Example: <c>R:Shop.StockLevel(string sku)</c>.
        /// </summary>
        private static string Signature(bool isEvent, TypeRef? result, IMethodSymbol method)
        {
            var sb = new StringBuilder(isEvent ? "E:" : "R:");
            sb.Append(result?.CanonicalName ?? "void").Append('(');
            bool first = true;
            foreach (var p in method.Parameters)
            {
                if (KnownNames.Is(p.Type, KnownNames.CancellationToken))
                    continue;
                if (!first)
                    sb.Append(',');
                sb.Append(TypeNames.Canonical(p.Type)).Append(' ').Append(p.Name);
                first = false;
            }
            return sb.Append(')').ToString();
        }
    }
}
