using System.Collections.Generic;
using System.Linq;
using IpcContracts.Generators.Models;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>
    /// The cached argument writers and the nested proxy class. The proxy implements the interface explicitly,
    /// keeps the user's parameter names, and therefore refers to every other member by its full name so no
    /// parameter can shadow it.
    /// </summary>
    internal static class ProxyEmitter
    {
        public static void Emit(SourceWriter w, ContractModel contract)
        {
            foreach (var m in contract.Methods.Where(m => m.Parameters.Count > 0))
                EmitWriter(w, m);

            w.Open("private sealed class Proxy : " + contract.InterfaceCode);
            w.Line("private readonly " + Code.Runtime + ".IOutboundChannel _channel;");
            w.Line();
            w.Line("public Proxy(" + Code.Runtime + ".IOutboundChannel channel) => _channel = channel;");
            foreach (var m in contract.Methods)
            {
                w.Line();
                EmitMethod(w, contract, m);
            }
            w.Close();
        }

        /// <summary>Writes each parameter as a member of the argument object; cached so sending allocates no delegate.</summary>
        private static void EmitWriter(SourceWriter w, MethodModel m)
        {
            string header = "private static readonly " + Code.Runtime + ".ArgsWriter<" + ArgsShape.Type(m) + "> " + ArgsShape.WriterField(m) + " =";
            if (m.Parameters.Count == 1)
            {
                w.Line(header);
                w.Indent().Line("static (writer, args) => " + WriteCall(m.Parameters[0], "args") + ";").Outdent();
            }
            else
            {
                w.Line(header + " static (writer, args) =>");
                w.Open();
                for (int i = 0; i < m.Parameters.Count; i++)
                    w.Line(WriteCall(m.Parameters[i], "args.Item" + (i + 1)) + ";");
                w.Close(";");
            }
            w.Line();
        }

        /// <summary>
        /// The method's one binary parameter goes through WriteBinary, which leaves its bytes for the frame's binary section
        /// (docs/protocol.md, "Binary payloads") rather than writing them as base64 into the object.
        /// </summary>
        private static string WriteCall(ParameterModel p, string value) => p.Type.Binary != BinaryKind.None
            ? Code.Runtime + ".ArgsJson.WriteBinary(writer, " + Code.String(p.JsonName) + ", " + value + ")"
            : Code.Runtime + ".ArgsJson.Write<" + p.Type.Code + ">(writer, " + Code.String(p.JsonName) + ", " + value + ", " + Code.TypeInfo(p.Type) + ")";

        private static void EmitMethod(SourceWriter w, ContractModel contract, MethodModel m)
        {
            var parameters = ArgsShape.AsDeclared(m, i => m.Parameters[i].Type.Code + " " + m.Parameters[i].Identifier, p => p.ParameterCode + " " + p.Identifier,
                s => s.ParameterCode + " " + s.Identifier);
            if (m.CancellationTokenIdentifier is not null)
                parameters.Add("global::System.Threading.CancellationToken " + m.CancellationTokenIdentifier);
            w.Open(ReturnType(m) + " " + m.DeclaringInterface + "." + m.Name + "(" + string.Join(", ", parameters) + ")");

            string descriptor = "global::" + Code.GeneratedNamespace + "." + contract.DescriptorName + ".";
            string method = descriptor + ArgsShape.MethodField(m);
            string writer = m.Parameters.Count == 0 ? Code.Runtime + ".NoArgs.Writer" : descriptor + ArgsShape.WriterField(m);
            string args = ArgsShape.Value(m);
            string token = m.CancellationTokenIdentifier ?? "default";

            if (contract.IsEvent)
            {
                Call(w, "", "this._channel.Publish<" + ArgsShape.Type(m) + ">", ");", method, args, writer);
                if (m.Returns == ReturnShape.Task)
                    w.Line("return " + Code.Tasks + ".Task.CompletedTask;");
                else if (m.Returns == ReturnShape.ValueTask)
                    w.Line("return default;");
            }
            else if (m.ResultBytes != ByteStreamKind.None)
            {
                // A Stream or PipeReader result is a stream of chunks: the task completes once the first chunk, the end or the
                // handler's error has arrived (so a failed call throws at the await), and the caller reads the rest as it comes.
                string read = Code.ByteStreams + (m.ResultBytes == ByteStreamKind.Stream ? ".ReadStreamAsync(" : ".ReadPipeAsync(");
                bool wrap = m.Returns == ReturnShape.ValueTaskOfT;
                string prefix = "return " + (wrap ? "new " + ReturnType(m) + "(" : "") + read;
                string suffix = "), " + token + ")" + (m.Result!.NeedsNullableSuppression ? "!" : "") + (wrap ? ");" : ";");
                if (m.ArgumentStream is { } stream)
                    Call(w, prefix, "this._channel.Stream<" + ArgsShape.Type(m) + ", " + Code.Chunk + ", " + stream.Item.Code + ">", suffix,
                        method, args, writer, Code.ChunkTypeInfo, ArgumentItems(stream, token), Code.TypeInfo(stream.Item), token);
                else
                    Call(w, prefix, "this._channel.Stream<" + ArgsShape.Type(m) + ", " + Code.Chunk + ">", suffix, method, args, writer, Code.ChunkTypeInfo, token);
            }
            else if (m.Returns == ReturnShape.Stream)
            {
                // Cold: the channel sends the request when the caller enumerates, so nothing happens here.
                var item = m.Result!;
                if (m.ArgumentStream is { } stream)
                    Call(w, "return ", "this._channel.Stream<" + ArgsShape.Type(m) + ", " + item.Code + ", " + stream.Item.Code + ">", ");",
                        method, args, writer, Code.TypeInfo(item), ArgumentItems(stream, token), Code.TypeInfo(stream.Item), token);
                else
                    Call(w, "return ", "this._channel.Stream<" + ArgsShape.Type(m) + ", " + item.Code + ">", ");", method, args, writer, Code.TypeInfo(item), token);
            }
            else
            {
                bool wrap = m.Returns is ReturnShape.ValueTask or ReturnShape.ValueTaskOfT;
                string prefix = wrap ? "return new " + ReturnType(m) + "(" : "return ";
                string suffix = wrap ? "));" : ");";
                if (m.ArgumentStream is { } stream)
                {
                    // The caller's sequence stays here; the channel enumerates it after the Request and sends its items as credit allows.
                    // An IProgress<T> next to it stays here too and hears the handler's reports while it reads.
                    var argItem = stream.Item;
                    var typeArguments = new List<string> { ArgsShape.Type(m) };
                    var arguments = new List<string> { method, args, writer };
                    if (m.Result is { } result)
                    {
                        typeArguments.Add(result.Code);
                        arguments.Add(Code.TypeInfo(result));
                    }
                    typeArguments.Add(argItem.Code);
                    arguments.Add(ArgumentItems(stream, token));
                    arguments.Add(Code.TypeInfo(argItem));
                    if (m.Progress is { } progress)
                    {
                        typeArguments.Add(progress.Value.Code);
                        arguments.Add(progress.Identifier);
                        arguments.Add(Code.TypeInfo(progress.Value));
                    }
                    arguments.Add(token);
                    Call(w, prefix, "this._channel.RequestStreamingAsync<" + string.Join(", ", typeArguments) + ">", suffix, arguments.ToArray());
                }
                else if (m.Progress is { } progress)
                {
                    // The caller's IProgress<T> (null is fine) stays here; the channel raises it for each report the handler sends.
                    var value = progress.Value;
                    if (m.Result is { } result)
                        Call(w, prefix, "this._channel.RequestAsync<" + ArgsShape.Type(m) + ", " + result.Code + ", " + value.Code + ">", suffix,
                            method, args, writer, Code.TypeInfo(result), progress.Identifier, Code.TypeInfo(value), token);
                    else
                        Call(w, prefix, "this._channel.RequestAsync<" + ArgsShape.Type(m) + ", " + value.Code + ">", suffix,
                            method, args, writer, progress.Identifier, Code.TypeInfo(value), token);
                }
                else if (wrap)
                {
                    // A ValueTask method gets the channel's ValueTask call: a connection completes it from a pooled source
                    // instead of allocating a Task (and this wrapper) per call.
                    if (m.Result is { } result)
                        Call(w, "return ", "this._channel.RequestValueAsync<" + ArgsShape.Type(m) + ", " + result.Code + ">", ");", method, args, writer, Code.TypeInfo(result), token);
                    else
                        Call(w, "return ", "this._channel.RequestValueAsync<" + ArgsShape.Type(m) + ">", ");", method, args, writer, token);
                }
                else if (m.Result is { } result)
                    Call(w, prefix, "this._channel.RequestAsync<" + ArgsShape.Type(m) + ", " + result.Code + ">", suffix, method, args, writer, Code.TypeInfo(result), token);
                else
                    Call(w, prefix, "this._channel.RequestAsync<" + ArgsShape.Type(m) + ">", suffix, method, args, writer, token);
            }
            w.Close();
        }

        /// <summary>
        /// The caller's sequence, refused at once when null (a nullable-oblivious caller can pass one, and the contract may
        /// declare it nullable) with the parameter's name, rather than failing later inside the channel's send loop. A Stream or
        /// PipeReader is read as chunks; the caller owns it, so it is read to its end and neither disposed nor completed.
        /// </summary>
        private static string ArgumentItems(ArgumentStreamModel stream, string token)
        {
            string value = stream.Identifier + " ?? throw new global::System.ArgumentNullException(nameof(" + stream.Identifier + "))";
            return stream.Bytes == ByteStreamKind.None ? value : Code.ByteStreams + ".Chunks(" + value + ", " + token + ")";
        }

        /// <summary>A call with one argument per line (the fully qualified arguments are long); <paramref name="suffix"/> closes it.</summary>
        private static void Call(SourceWriter w, string prefix, string callee, string suffix, params string[] arguments)
        {
            w.Line(prefix + callee + "(");
            w.Indent();
            for (int i = 0; i < arguments.Length; i++)
                w.Line(arguments[i] + (i < arguments.Length - 1 ? "," : suffix));
            w.Outdent();
        }

        private static string ReturnType(MethodModel m) => m.Returns switch
        {
            ReturnShape.Void => "void",
            ReturnShape.Task => Code.Tasks + ".Task",
            ReturnShape.ValueTask => Code.Tasks + ".ValueTask",
            ReturnShape.TaskOfT => Code.Tasks + ".Task<" + m.Result!.Code + ">",
            ReturnShape.Stream => Code.AsyncEnumerable + "<" + m.Result!.Code + ">",
            _ => Code.Tasks + ".ValueTask<" + m.Result!.Code + ">",
        };
    }
}
