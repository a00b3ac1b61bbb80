using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Analyzers.Tests.Infrastructure;

/// <summary>
/// Expected diagnostics written into test sources as <c>{|IPC0005:int|}</c>: the ID and exactly the span it must
/// cover. <see cref="Parse"/> strips the markers and returns the plain source plus the expectations.
/// </summary>
internal static class Markup
{
    public sealed record Expected(string Id, TextSpan Span);

    public static (string Source, List<Expected> Expected) Parse(string markup)
    {
        var sb = new StringBuilder(markup.Length);
        var expected = new List<Expected>();
        var open = new Stack<(string Id, int Start)>();
        for (int i = 0; i < markup.Length; i++)
        {
            if (markup[i] == '{' && i + 1 < markup.Length && markup[i + 1] == '|')
            {
                int colon = markup.IndexOf(':', i + 2);
                open.Push((markup.Substring(i + 2, colon - i - 2), sb.Length));
                i = colon;
            }
            else if (markup[i] == '|' && i + 1 < markup.Length && markup[i + 1] == '}' && open.Count > 0)
            {
                var (id, start) = open.Pop();
                expected.Add(new Expected(id, TextSpan.FromBounds(start, sb.Length)));
                i++;
            }
            else
            {
                sb.Append(markup[i]);
            }
        }
        Assert.True(open.Count == 0, "unclosed {| marker");
        return (sb.ToString(), expected);
    }

    /// <summary><c>IPC0005 (12,5)-(12,8)</c>, 1-based like the compiler's output.</summary>
    public static string Describe(string id, SourceText text, TextSpan span)
    {
        var lines = text.Lines.GetLinePositionSpan(span);
        return $"{id} ({lines.Start.Line + 1},{lines.Start.Character + 1})-({lines.End.Line + 1},{lines.End.Character + 1}) '{text.ToString(span)}'";
    }
}
