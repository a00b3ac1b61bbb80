using System.Collections.Generic;

namespace IpcContracts.Protocol;

/// <summary>
/// Which two canonical signatures of one method can talk to each other although their fingerprints differ
/// (docs/protocol.md 4.2, docs/versioning.md). Arguments travel as one JSON object keyed by parameter name; a receiver
/// skips members it does not know and gives a missing one the handler's declared default. So a parameter that only one
/// side has is harmless exactly when it is optional on that side (marked <c>name=</c> in the signature, at the end):
/// a caller's extra optional argument is ignored by an older handler, a handler's extra optional parameter gets its own
/// default from an older caller. Everything else the fingerprint used to refuse is still refused: another result, a
/// parameter of another type or name or in another place, and a required parameter only one side has.
/// </summary>
/// <remarks>
/// One rulebook: the runtime judges the peer's manifest with it, and the same file is compiled into the generator (the
/// contract baseline, IPC0024) and the <c>ipc</c> tool (<c>ipc diff</c>), so they can never disagree. It therefore uses
/// nothing newer than netstandard2.0.
/// </remarks>
internal static class ShapeCompatibility
{
    /// <summary>Null when calls and events can pass between the two shapes; otherwise why not, for the error message.</summary>
    /// <param name="here">This side's signature.</param>
    /// <param name="there">The other side's signature.</param>
    public static string? Incompatibility(string here, string there)
    {
        if (string.Equals(here, there, System.StringComparison.Ordinal))
            return null;
        if (!TryParse(here, out var hereResult, out var hereParameters))
            return "this side's signature cannot be read";
        if (!TryParse(there, out var thereResult, out var thereParameters))
            return "the other side's signature cannot be read";
        if (!string.Equals(hereResult, thereResult, System.StringComparison.Ordinal))
            return "the result differs";

        int common = System.Math.Min(hereParameters.Count, thereParameters.Count);
        for (int i = 0; i < common; i++)
        {
            // Optional on one side and required on the other is fine: a caller that has the parameter always sends it.
            if (!string.Equals(hereParameters[i].Text, thereParameters[i].Text, System.StringComparison.Ordinal))
                return "parameter " + (i + 1) + " is '" + hereParameters[i].Text + "' here and '" + thereParameters[i].Text + "' there";
        }
        for (int i = common; i < hereParameters.Count; i++)
        {
            if (!hereParameters[i].Optional)
                return "'" + hereParameters[i].Text + "' is only here, and it is not optional";
        }
        for (int i = common; i < thereParameters.Count; i++)
        {
            if (!thereParameters[i].Optional)
                return "'" + thereParameters[i].Text + "' is only there, and it is not optional";
        }
        return null;
    }

    /// <summary>True when <see cref="Incompatibility"/> finds nothing.</summary>
    public static bool AreCompatible(string here, string there) => Incompatibility(here, there) is null;

    /// <summary>
    /// Splits <c>R:Result(Type a,Type b=)</c> into the part before the parameter list (<c>R:Result</c>) and the
    /// parameters. The parameter list is the last bracketed group (a result may itself be a tuple in parentheses);
    /// commas inside <c>&lt;&gt;</c>, <c>()</c> and <c>[]</c> belong to a type (generics, tuples, <c>int[,]</c>).
    /// </summary>
    internal static bool TryParse(string signature, out string result, out List<(string Text, bool Optional)> parameters)
    {
        result = "";
        parameters = new List<(string Text, bool Optional)>();
        if (signature.Length < 4 || signature[signature.Length - 1] != ')')
            return false;
        int depth = 0;
        int open = -1;
        for (int i = signature.Length - 1; i >= 0 && open < 0; i--)
        {
            char c = signature[i];
            if (c is ')' or '>' or ']')
                depth++;
            else if (c is '(' or '<' or '[')
            {
                if (--depth == 0)
                {
                    if (c != '(')
                        return false;
                    open = i;
                }
            }
        }
        if (open < 2)
            return false;
        result = signature.Substring(0, open);
        int start = open + 1;
        int end = signature.Length - 1;
        if (start == end)
            return true;
        depth = 0;
        for (int i = start; i <= end; i++)
        {
            char c = i < end ? signature[i] : ',';
            if (c is '(' or '<' or '[')
                depth++;
            else if (c is ')' or '>' or ']')
                depth--;
            else if (c == ',' && depth == 0)
            {
                string text = signature.Substring(start, i - start);
                bool optional = text.Length > 0 && text[text.Length - 1] == '=';
                if (optional)
                    text = text.Substring(0, text.Length - 1);
                if (text.Length == 0)
                    return false;
                parameters.Add((text, optional));
                start = i + 1;
            }
        }
        return depth == 0;
    }
}
