using System.Globalization;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// A parameter's declared default as a C# expression, for the dispatcher: an argument the caller did not send (a caller
    /// built before the parameter was added, docs/versioning.md) gets the handler's own default, as if C# had omitted it.
    /// The default never travels; each side's compiler fills in its own.
    /// </summary>
    internal static class ParameterDefaults
    {
        /// <summary>The expression, or null when <c>default</c> is the value (no default, <c>= null</c>, <c>= default</c>, a struct's <c>new()</c>).</summary>
        public static string? Code(IParameterSymbol parameter)
        {
            if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is not { } value)
                return null;
            var type = parameter.Type;
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
                type = nullable.TypeArguments[0];
            if (Literal(value) is not { } literal)
                return null;
            // An enum's default is its underlying constant; the cast names the enum (and is what C# itself emits).
            return type.TypeKind == TypeKind.Enum ? "(" + TypeNames.Code(type) + ")(" + literal + ")" : literal;
        }

        /// <summary>C# allows no other constant types for a default; anything else would be a compiler error already.</summary>
        private static string? Literal(object value)
        {
            var c = CultureInfo.InvariantCulture;
            return value switch
            {
                string s => SymbolDisplay.FormatLiteral(s, quote: true),
                char ch => SymbolDisplay.FormatLiteral(ch, quote: true),
                bool b => b ? "true" : "false",
                int i => i.ToString(c),
                long l => l.ToString(c) + "L",
                uint u => u.ToString(c) + "U",
                ulong ul => ul.ToString(c) + "UL",
                // No literal suffix for these: the cast keeps the constant's type exact.
                short sh => "(short)(" + sh.ToString(c) + ")",
                ushort us => "(ushort)" + us.ToString(c),
                byte by => "(byte)" + by.ToString(c),
                sbyte sb => "(sbyte)(" + sb.ToString(c) + ")",
                decimal m => m.ToString(c) + "M",
                float f => float.IsNaN(f) ? "float.NaN" : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
                    : float.IsNegativeInfinity(f) ? "float.NegativeInfinity" : f.ToString("R", c) + "F",
                double d => double.IsNaN(d) ? "double.NaN" : double.IsPositiveInfinity(d) ? "double.PositiveInfinity"
                    : double.IsNegativeInfinity(d) ? "double.NegativeInfinity" : d.ToString("R", c) + "D",
                _ => null,
            };
        }
    }
}
