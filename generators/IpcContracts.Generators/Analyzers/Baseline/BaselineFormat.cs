using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace IpcContracts.Analyzers.Baseline
{
    /// <summary>Identifies a baseline line: a contract (<see cref="MethodId"/> null) or one of its methods.</summary>
    internal readonly struct BaselineKey : IEquatable<BaselineKey>
    {
        public BaselineKey(uint contractId, uint? methodId)
        {
            ContractId = contractId;
            MethodId = methodId;
        }

        public uint ContractId { get; }

        public uint? MethodId { get; }

        public bool IsMethod => MethodId.HasValue;

        public bool Equals(BaselineKey other) => ContractId == other.ContractId && MethodId == other.MethodId;

        public override bool Equals(object? obj) => obj is BaselineKey other && Equals(other);

        public override int GetHashCode() => unchecked((int)ContractId * 397) ^ (MethodId.HasValue ? (int)MethodId.Value : -1);

        public override string ToString() => MethodId is { } m
            ? BaselineFormat.Hex(ContractId) + "." + BaselineFormat.Hex(m)
            : BaselineFormat.Hex(ContractId);
    }

    /// <summary>One readable line of contracts.shipped.txt or contracts.unshipped.txt.</summary>
    internal sealed class BaselineEntry
    {
        public BaselineEntry(BaselineKey key, bool retired, string? kind, string? alias, string? signature, int line)
        {
            Key = key;
            Retired = retired;
            Kind = kind;
            Alias = alias;
            Signature = signature;
            Line = line;
        }

        public BaselineKey Key { get; }

        /// <summary>The line starts with <c>retired</c>: removed on purpose, its ID reserved forever.</summary>
        public bool Retired { get; }

        /// <summary><c>request</c> or <c>event</c> for contract lines.</summary>
        public string? Kind { get; }

        public string? Alias { get; }

        /// <summary>The canonical signature (the text the wire fingerprint hashes) for method lines.</summary>
        public string? Signature { get; }

        /// <summary>Zero-based line number in its file.</summary>
        public int Line { get; }

        /// <summary>What the line records: the kind for a contract, the signature for a method.</summary>
        public string? Shape => Key.IsMethod ? Signature : Kind;

        /// <summary>How messages name the entry.</summary>
        public string Describe() => Key.IsMethod
            ? "method '" + Alias + "' (" + Key + ")"
            : "contract '" + Alias + "' (" + Key + ")";
    }

    /// <summary>
    /// The contract baseline format, one entry per line (see docs/diagnostics/IPC0022.md):
    /// <code>
    /// # comment
    /// 0xFCFDC43F request "inventory"
    /// 0xFCFDC43F.0x1A693A8D "GetStockAsync" R:Shop.StockLevel(string sku)
    /// retired 0xFCFDC43F.0x0BADF00D "OldMethod" R:void()
    /// </code>
    /// A contract line is its wire ID, <c>request</c> or <c>event</c>, and its alias; a method line is the contract ID and
    /// the method ID joined by '.', the method alias and the canonical signature (the rest of the line). Aliases are
    /// quoted with <c>\"</c> and <c>\\</c> escaped. <c>retired</c> in front of a line reserves its ID: the entry was
    /// removed on purpose and the ID may never be used again.
    /// </summary>
    internal static class BaselineFormat
    {
        public const string ShippedFileName = "contracts.shipped.txt";
        public const string UnshippedFileName = "contracts.unshipped.txt";
        public const string RetiredPrefix = "retired ";
        public const string RequestKind = "request";
        public const string EventKind = "event";

        /// <summary>The key of the [assembly: AssemblyMetadata] attributes the generator emits, one per baseline line of each contract.</summary>
        public const string AssemblyMetadataKey = "IpcContracts.Contract";

        public const string UnshippedHeader =
            "# Contracts and methods not shipped yet. Move these lines to contracts.shipped.txt when you release.";

        public static bool IsShippedFile(string path) => FileNameIs(path, ShippedFileName);

        public static bool IsUnshippedFile(string path) => FileNameIs(path, UnshippedFileName);

        private static bool FileNameIs(string path, string name)
        {
            int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
            return string.Equals(path.Substring(slash + 1), name, StringComparison.OrdinalIgnoreCase);
        }

        public static string Hex(uint value) => Generators.Rules.WireIds.Hex(value);

        public static string ContractLine(uint id, bool isEvent, string alias) =>
            Hex(id) + " " + (isEvent ? EventKind : RequestKind) + " " + Quote(alias);

        public static string MethodLine(uint contractId, uint methodId, string alias, string signature) =>
            Hex(contractId) + "." + Hex(methodId) + " " + Quote(alias) + " " + signature;

        public static string Quote(string text)
        {
            var sb = new StringBuilder(text.Length + 2).Append('"');
            foreach (char c in text)
            {
                if (c == '"' || c == '\\')
                    sb.Append('\\');
                sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        /// <summary>True for lines that carry no entry (blank or comment).</summary>
        public static bool IsTrivia(string line)
        {
            string t = line.Trim();
            return t.Length == 0 || t[0] == '#';
        }

        /// <summary>The key of an entry line without parsing the rest, for replacing lines; null for trivia or garbage.</summary>
        public static BaselineKey? TryReadKey(string line)
        {
            string t = line.Trim();
            if (t.StartsWith(RetiredPrefix, StringComparison.Ordinal))
                t = t.Substring(RetiredPrefix.Length).TrimStart();
            int space = t.IndexOf(' ');
            return TryParseKey(space < 0 ? t : t.Substring(0, space), out var key) ? key : (BaselineKey?)null;
        }

        /// <summary>Parses one line; returns null with <paramref name="error"/> null for trivia, or with an error text.</summary>
        public static BaselineEntry? Parse(string line, int lineNumber, out string? error)
        {
            error = null;
            if (IsTrivia(line))
                return null;

            string rest = line.Trim();
            bool retired = false;
            if (rest.StartsWith(RetiredPrefix, StringComparison.Ordinal))
            {
                retired = true;
                rest = rest.Substring(RetiredPrefix.Length).TrimStart();
            }

            string keyText = TakeToken(ref rest);
            if (!TryParseKey(keyText, out var key))
            {
                error = "'" + keyText + "' is not a wire ID: expected 0xCCCCCCCC for a contract or 0xCCCCCCCC.0xMMMMMMMM for a method";
                return null;
            }

            if (!key.IsMethod)
            {
                string kind = TakeToken(ref rest);
                if (kind.Length == 0 && retired)
                    return new BaselineEntry(key, true, null, null, null, lineNumber);
                if (kind != RequestKind && kind != EventKind)
                {
                    error = "expected 'request' or 'event' after the contract ID, found '" + kind + "'";
                    return null;
                }
                if (!TryTakeQuoted(ref rest, out string? alias) || rest.Length != 0)
                {
                    error = "expected the contract alias in double quotes at the end of the line";
                    return null;
                }
                return new BaselineEntry(key, retired, kind, alias, null, lineNumber);
            }

            if (rest.Length == 0 && retired)
                return new BaselineEntry(key, true, null, null, null, lineNumber);
            if (!TryTakeQuoted(ref rest, out string? methodAlias))
            {
                error = "expected the method alias in double quotes after the method ID";
                return null;
            }
            if (!(rest.StartsWith("R:", StringComparison.Ordinal) || rest.StartsWith("E:", StringComparison.Ordinal)) || !rest.EndsWith(")", StringComparison.Ordinal))
            {
                error = "expected a signature such as R:Shop.StockLevel(string sku) after the method alias";
                return null;
            }
            return new BaselineEntry(key, retired, null, methodAlias, rest, lineNumber);
        }

        private static string TakeToken(ref string rest)
        {
            int space = rest.IndexOf(' ');
            string token = space < 0 ? rest : rest.Substring(0, space);
            rest = space < 0 ? "" : rest.Substring(space + 1).TrimStart();
            return token;
        }

        private static bool TryTakeQuoted(ref string rest, out string? value)
        {
            value = null;
            if (rest.Length == 0 || rest[0] != '"')
                return false;
            var sb = new StringBuilder();
            for (int i = 1; i < rest.Length; i++)
            {
                char c = rest[i];
                if (c == '\\' && i + 1 < rest.Length)
                {
                    sb.Append(rest[++i]);
                }
                else if (c == '"')
                {
                    value = sb.ToString();
                    rest = rest.Substring(i + 1).TrimStart();
                    return true;
                }
                else
                {
                    sb.Append(c);
                }
            }
            return false;
        }

        private static bool TryParseKey(string text, out BaselineKey key)
        {
            key = default;
            int dot = text.IndexOf('.');
            if (dot < 0)
            {
                if (!TryParseHex(text, out uint c))
                    return false;
                key = new BaselineKey(c, null);
                return true;
            }
            if (!TryParseHex(text.Substring(0, dot), out uint contract) || !TryParseHex(text.Substring(dot + 1), out uint method))
                return false;
            key = new BaselineKey(contract, method);
            return true;
        }

        private static bool TryParseHex(string text, out uint value)
        {
            value = 0;
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                text = text.Substring(2);
            return text.Length is > 0 and <= 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        /// <summary>
        /// Adds <paramref name="lines"/> to a baseline file's text: a line whose key is already there replaces it,
        /// the others are appended in order. Used by the code fix.
        /// </summary>
        public static string Merge(string? existing, IEnumerable<string> lines)
        {
            var result = new List<string>();
            if (string.IsNullOrEmpty(existing))
            {
                result.Add(UnshippedHeader);
            }
            else
            {
                result.AddRange(existing!.Replace("\r\n", "\n").Split('\n'));
                while (result.Count > 0 && result[result.Count - 1].Trim().Length == 0)
                    result.RemoveAt(result.Count - 1);
            }

            foreach (string line in lines)
            {
                var key = TryReadKey(line);
                int index = key is null ? -1 : result.FindIndex(l => !IsTrivia(l) && TryReadKey(l) is { } k && k.Equals(key.Value));
                if (index >= 0)
                    result[index] = line;
                else if (!result.Contains(line))
                    result.Add(line);
            }
            return string.Join("\n", result) + "\n";
        }
    }
}
