using System.Linq;
using IpcContracts.Generators.Models;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>
    /// <c>IpcJsonTypes</c>: the assembly's serializer options and one lazily resolved <c>JsonTypeInfo&lt;T&gt;</c> per
    /// message type. Lazy, so a type missing from every context fails only the call that needs it, with
    /// IpcJson's message naming the missing [JsonSerializable], instead of failing type initialisation.
    /// </summary>
    internal static class JsonTypesEmitter
    {
        public const string HintName = "IpcJsonTypes.g.cs";

        public static string Emit(AssemblyModel model)
        {
            var w = new SourceWriter();
            w.Line(Code.FileHeader);
            w.Line("namespace " + Code.GeneratedNamespace);
            w.Open();
            w.Line("/// <summary>System.Text.Json metadata for every payload and message type of this assembly.</summary>");
            w.Line(Code.GeneratedCodeAttribute);
            w.Line(Code.ObsoleteContext);
            w.Open("internal static class IpcJsonTypes");
            w.Line("/// <summary>Resolves from this assembly's JsonSerializerContexts first, then IpcContracts' built-in context for primitives.</summary>");
            w.Line("public static global::System.Text.Json.JsonSerializerOptions Options { get; } =");
            w.Indent().Line("global::IpcContracts.Serialization.IpcJson.CreateOptions(" + string.Join(", ", model.Contexts.Select(c => c + ".Default")) + ");").Outdent();

            foreach (var type in model.MessageTypes)
            {
                string typeInfo = Code.JsonTypeInfo + "<" + type.MetadataCode + ">";
                string field = "__" + type.PropertyName;
                w.Line();
                w.Line("private static " + typeInfo + "? " + field + ";");
                w.Line();
                w.Line("/// <summary>Metadata for <c>" + Code.XmlText(type.CanonicalName) + "</c>.</summary>");
                w.Line("public static " + typeInfo + " " + type.PropertyName + " =>");
                w.Indent().Line(field + " ??= global::IpcContracts.Serialization.IpcJson.GetTypeInfo<" + type.MetadataCode + ">(Options);").Outdent();
                if (type.Reader is { } reader)
                    ReaderEmitter.EmitReader(w, type, reader);
            }

            w.Close();
            w.Close();
            return w.ToString();
        }
    }
}
