using System.Collections.Generic;
using System.Linq;
using IpcContracts.Generators.Models;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>
    /// <c>DispatchAsync</c>: a switch over method IDs. Each case parses its arguments synchronously (the payload
    /// is only valid until the first await), invokes the target and, for requests, replies on the fast path
    /// when the handler completed synchronously, so such calls allocate no state machine.
    /// </summary>
    internal static class DispatcherEmitter
    {
        public static void Emit(SourceWriter w, ContractModel contract)
        {
            w.Line("/// <inheritdoc/>");
            w.Open("public override " + Code.Tasks + ".ValueTask DispatchAsync(" + contract.InterfaceCode + " target, " + Code.Runtime + ".InboundCall call)");
            w.Open("switch (call.MethodId)");
            foreach (var m in contract.Methods)
            {
                w.Line("case " + Code.Hex(m.Id) + ": // " + m.MemberSuffix);
                w.Open();
                EmitCase(w, contract, m);
                w.Close();
            }
            w.Line("default:");
            w.Indent().Line("throw call.UnknownMethod(this);").Outdent();
            w.Close();
            w.Close();
            w.Line();

            foreach (var m in contract.Methods.Where(m => m.Parameters.Count > 0))
                EmitParser(w, m);
        }

        private static void EmitCase(SourceWriter w, ContractModel contract, MethodModel m)
        {
            if (m.Parameters.Count > 0)
                w.Line("var args = " + ArgsShape.Parser(m) + "(call.Payload);");

            // The handler's IProgress<T> is the call's: each report goes back to the caller while the call runs. Its
            // IAsyncEnumerable<T> parameter is the call's too: the caller's items as they arrive, under the credit window.
            // A Stream or PipeReader parameter reads the chunks of the call's argument stream.
            var unpacked = ArgsShape.Unpack(m);
            var arguments = ArgsShape.AsDeclared(m, i => Argument(m.Parameters[i], unpacked[i]), p => "call.Progress<" + p.Value.Code + ">(" + Code.TypeInfo(p.Value) + ")",
                s => s.Bytes switch
                {
                    ByteStreamKind.Stream => Code.ByteStreams + ".AsStream(call.ArgumentStream<" + Code.Chunk + ">(" + Code.ChunkTypeInfo + "))",
                    ByteStreamKind.PipeReader => Code.ByteStreams + ".AsPipeReader(call.ArgumentStream<" + Code.Chunk + ">(" + Code.ChunkTypeInfo + "))",
                    _ => "call.ArgumentStream<" + s.Item.Code + ">(" + Code.TypeInfo(s.Item) + ")",
                });
            if (m.CancellationTokenIdentifier is not null)
                arguments.Add("call.CancellationToken");
            string receiver = m.DeclaringInterface == contract.InterfaceCode ? "target" : "((" + m.DeclaringInterface + ")target)";
            string invocation = receiver + "." + m.Name + "(" + string.Join(", ", arguments) + ")";

            if (m.ResultBytes != ByteStreamKind.None)
            {
                // The handler's Stream or PipeReader goes back as a stream of chunks under the credit window; Chunks awaits the
                // handler's task (its exception ends the stream with the error) and disposes or completes what it returned.
                string handlerResult = invocation + (m.Result!.NeedsNullableSuppression ? "!" : "");
                w.Line("return call.ReplyStreamAsync<" + Code.Chunk + ">(" + Code.ByteStreams + ".Chunks(" + handlerResult + ", call.CancellationToken), " + Code.ChunkTypeInfo + ");");
                return;
            }

            switch (m.Returns)
            {
                case ReturnShape.Void:
                    w.Line(invocation + ";");
                    w.Line("return default;");
                    break;
                case ReturnShape.Task when contract.IsEvent:
                    w.Line("return new " + Code.Tasks + ".ValueTask(" + invocation + ");");
                    break;
                case ReturnShape.ValueTask when contract.IsEvent:
                    w.Line("return " + invocation + ";");
                    break;
                case ReturnShape.Task or ReturnShape.ValueTask:
                    w.Line("var task = " + invocation + ";");
                    w.Open("if (task.IsCompletedSuccessfully)");
                    w.Line("task.GetAwaiter().GetResult();");
                    w.Line("call.ReplyEmpty();");
                    w.Line("return default;");
                    w.Close();
                    // The runtime's reusable reply, not an async method here: no state machine box per call.
                    w.Line(m.Returns == ReturnShape.Task ? "return call.ReplyWhenDone(new " + Code.Tasks + ".ValueTask(task));" : "return call.ReplyWhenDone(task);");
                    break;
                case ReturnShape.Stream:
                    // The handler returns its stream; ReplyStreamAsync enumerates it with the call's token under the credit window.
                    var item = m.Result!;
                    w.Line("return call.ReplyStreamAsync<" + item.Code + ">(" + invocation + ", " + Code.TypeInfo(item) + ");");
                    break;
                default:
                    var result = m.Result!;
                    w.Line("var task = " + invocation + ";");
                    w.Open("if (task.IsCompletedSuccessfully)");
                    w.Line("call.Reply<" + result.Code + ">(task.GetAwaiter().GetResult(), " + Code.TypeInfo(result) + ");");
                    w.Line("return default;");
                    w.Close();
                    w.Line(m.Returns == ReturnShape.TaskOfT
                        ? "return call.ReplyWhenDone<" + result.Code + ">(new " + Code.Tasks + ".ValueTask<" + result.Code + ">(task), " + Code.TypeInfo(result) + ");"
                        : "return call.ReplyWhenDone<" + result.Code + ">(task, " + Code.TypeInfo(result) + ");");
                    break;
            }
        }

        /// <summary>
        /// The handler's argument from the parsed value: the binary parameter takes the frame's binary section when it has
        /// one (else what the argument object carried), copied so it outlives the payload.
        /// </summary>
        private static string Argument(ParameterModel p, string parsed)
        {
            if (p.Type.Binary == BinaryKind.None)
                return parsed;
            // BinaryArgument(byte[]?) is annotated for the null a caller may send; a byte[] parameter gets what it declares.
            bool notNull = p.Type.Binary == BinaryKind.ByteArray && !p.Type.NeedsNullableSuppression;
            return "call.BinaryArgument(" + parsed + ")" + (notNull ? "!" : "");
        }

        /// <summary>
        /// Reads the argument object member by member: unknown members are skipped and missing ones get the parameter's
        /// declared default (else <c>default</c>), so a peer with an optional parameter more or less still interoperates
        /// (docs/versioning.md).
        /// </summary>
        private static void EmitParser(SourceWriter w, MethodModel m)
        {
            w.Open("private static " + ArgsShape.Type(m) + " " + ArgsShape.Parser(m) + "(in " + Code.Payload + " payload)");
            for (int i = 0; i < m.Parameters.Count; i++)
                w.Line(m.Parameters[i].Type.Code + " arg" + i + " = " + (m.Parameters[i].Default ?? "default!") + ";");
            // Built in place (not returned by a helper): copying a Utf8JsonReader, which holds object references, goes
            // through the runtime's write-barrier helper (~120 instructions a copy, counted with callgrind).
            w.Line("global::System.Text.Json.Utf8JsonReader reader;");
            w.Line("if (payload.IsSingleSegment) reader = new global::System.Text.Json.Utf8JsonReader(payload.FirstSpan);");
            w.Line("else reader = new global::System.Text.Json.Utf8JsonReader(payload);");
            w.Line(Code.Runtime + ".ArgsJson.Open(ref reader);");
            w.Open("while (" + Code.Runtime + ".ArgsJson.NextMember(ref reader))");
            for (int i = 0; i < m.Parameters.Count; i++)
            {
                var p = m.Parameters[i];
                w.Line((i == 0 ? "if" : "else if") + " (reader.ValueTextEquals(" + Code.String(p.JsonName) + "u8))");
                w.Indent().Line("arg" + i + " = " + Code.Runtime + ".ArgsJson.Read<" + p.Type.Code + ">(ref reader, " +
                                Code.TypeInfo(p.Type) + ", " + Code.String(p.JsonName) + ");").Outdent();
            }
            w.Line("else");
            w.Indent().Line(Code.Runtime + ".ArgsJson.Skip(ref reader);").Outdent();
            w.Close();
            w.Line(m.Parameters.Count == 1 ? "return arg0;" : "return (" + string.Join(", ", m.Parameters.Select((_, i) => "arg" + i)) + ");");
            w.Close();
            w.Line();
        }
    }
}
