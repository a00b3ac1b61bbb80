using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>
    /// Turns qualified names into generated identifiers. The mapping is a pure function of the name
    /// (so each contract file can be emitted on its own) and never maps two names to one identifier:
    /// a "simple" name (ASCII letters and digits, segments joined by '.') keeps its shape with '.' as '_';
    /// anything else (underscores, generics, arrays, non-ASCII) is sanitised and suffixed with
    /// <c>_0x</c> + FNV-1a 32 of the full text. That suffix starts with a digit after '_', which no
    /// simple name can contain, so the two families cannot collide.
    /// </summary>
    internal static class Identifiers
    {
        /// <param name="qualifiedName">The readable source of the identifier.</param>
        /// <param name="hashedText">The exact text the hash suffix is computed from.</param>
        /// <param name="reserved">Identifiers the caller already uses; such names take the hashed form.</param>
        public static string FromQualifiedName(string qualifiedName, string hashedText, IReadOnlyCollection<string>? reserved = null)
        {
            if (IsSimple(qualifiedName))
            {
                string simple = qualifiedName.Replace('.', '_');
                if (SyntaxFacts.GetKeywordKind(simple) == SyntaxKind.None && (reserved is null || !Contains(reserved, simple)))
                    return simple;
            }
            return Sanitize(qualifiedName) + "_0x" + Fnv1a.Hash32(hashedText).ToString("X8");
        }

        private static bool IsSimple(string name)
        {
            bool segmentStart = true;
            foreach (char c in name)
            {
                if (c == '.')
                {
                    if (segmentStart)
                        return false;
                    segmentStart = true;
                }
                else if (IsAsciiLetter(c) || (!segmentStart && c >= '0' && c <= '9'))
                {
                    segmentStart = false;
                }
                else
                {
                    return false;
                }
            }
            return !segmentStart;
        }

        /// <summary>Letters and digits kept; every run of anything else becomes one '_' (never two in a row).</summary>
        private static string Sanitize(string name)
        {
            var sb = new StringBuilder(name.Length);
            foreach (char c in name)
            {
                // Words for the punctuation that changes meaning, so int? and int[] do not both read "Int32".
                string? part = c switch
                {
                    '?' => "_Nullable_",
                    '[' => "_Array_",
                    _ => char.IsLetterOrDigit(c) ? null : "_",
                };
                if (part is null)
                    sb.Append(c);
                else
                    AppendSeparated(sb, part);
            }
            if (sb.Length > 0 && sb[sb.Length - 1] == '_')
                sb.Length--;
            if (sb.Length == 0 || char.IsDigit(sb[0]))
                sb.Insert(0, '_');
            return sb.ToString();
        }

        /// <summary>Appends <paramref name="part"/> without ever producing two '_' in a row.</summary>
        private static void AppendSeparated(StringBuilder sb, string part)
        {
            foreach (char c in part)
            {
                if (c != '_' || (sb.Length > 0 && sb[sb.Length - 1] != '_'))
                    sb.Append(c);
            }
        }

        private static bool IsAsciiLetter(char c) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

        private static bool Contains(IReadOnlyCollection<string> names, string name)
        {
            foreach (var n in names)
            {
                if (n == name)
                    return true;
            }
            return false;
        }
    }
}
