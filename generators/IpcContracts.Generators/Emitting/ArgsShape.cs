using System;
using System.Collections.Generic;
using System.Linq;
using IpcContracts.Generators.Models;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>
    /// How a method's payload parameters travel as the proxy's <c>TArgs</c>: <c>NoArgs</c> for none, the
    /// parameter's own type for one, a value tuple for several. The dispatcher's parser returns the same shape. The
    /// progress and stream parameters are never among them (a method whose only other parameter is its IProgress&lt;T&gt; or
    /// its IAsyncEnumerable&lt;T&gt; sends NoArgs).
    /// </summary>
    internal static class ArgsShape
    {
        public static string Type(MethodModel method) => method.Parameters.Count switch
        {
            0 => Code.Runtime + ".NoArgs",
            1 => method.Parameters[0].Type.Code,
            _ => "(" + string.Join(", ", method.Parameters.Select(p => p.Type.Code)) + ")",
        };

        /// <summary>The proxy-side expression that packs the parameters.</summary>
        public static string Value(MethodModel method) => method.Parameters.Count switch
        {
            0 => "default",
            1 => method.Parameters[0].Identifier,
            _ => "(" + string.Join(", ", method.Parameters.Select(p => p.Identifier)) + ")",
        };

        /// <summary>How the parsed value <c>args</c> unpacks into call arguments, in parameter order.</summary>
        public static string[] Unpack(MethodModel method) => method.Parameters.Count switch
        {
            0 => new string[0],
            1 => new[] { "args" },
            _ => method.Parameters.Select((_, i) => "args.Item" + (i + 1)).ToArray(),
        };

        /// <summary>
        /// The method's parameters without the token, as declared: the payload parameters with the progress and stream
        /// parameters put back at their positions. <paramref name="payload"/> renders the payload parameter at an index,
        /// <paramref name="progress"/> the progress one, <paramref name="argumentStream"/> the stream one.
        /// </summary>
        public static List<string> AsDeclared(MethodModel method, Func<int, string> payload, Func<ProgressModel, string> progress,
            Func<ArgumentStreamModel, string> argumentStream)
        {
            var list = Enumerable.Range(0, method.Parameters.Count).Select(payload).ToList();
            // Inserted lowest position first, so each lands where the contract declares it.
            var extras = new List<(int Position, string Code)>();
            if (method.Progress is { } p)
                extras.Add((p.Position, progress(p)));
            if (method.ArgumentStream is { } s)
                extras.Add((s.Position, argumentStream(s)));
            foreach (var (position, code) in extras.OrderBy(e => e.Position))
                list.Insert(Math.Min(position, list.Count), code);
            return list;
        }

        public static string MethodField(MethodModel method) => "Method_" + method.MemberSuffix;

        public static string WriterField(MethodModel method) => "Write_" + method.MemberSuffix;

        public static string Parser(MethodModel method) => "Parse_" + method.MemberSuffix;
    }
}
