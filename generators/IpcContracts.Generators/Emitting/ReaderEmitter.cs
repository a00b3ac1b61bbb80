using System.Globalization;
using System.Linq;
using IpcContracts.Generators.Models;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>
    /// The generated JSON reader of a payload type (docs/serialization.md, "Generated readers") and its registration. The
    /// reader reads exactly the members the constructor takes, each once, each of its own token type, and calls the
    /// constructor; for anything else it returns false and System.Text.Json reads the same bytes instead.
    /// </summary>
    internal static class ReaderEmitter
    {
        private const string Serialization = "global::IpcContracts.Serialization";

        public static string MethodName(MessageTypeModel type) => "Read_" + type.PropertyName;

        /// <summary>Writes the reader method into IpcJsonTypes.</summary>
        public static void EmitReader(SourceWriter w, MessageTypeModel type, ReaderShape shape)
        {
            var parameters = shape.Parameters;
            int count = parameters.Count;
            string all = count == 64 ? "0xFFFFFFFFFFFFFFFFUL" : "0x" + ((1UL << count) - 1).ToString("X", CultureInfo.InvariantCulture) + "UL";
            w.Line();
            w.Line("/// <summary>Generated reader for <c>" + Code.XmlText(type.CanonicalName) + "</c>: false hands the object to System.Text.Json.</summary>");
            w.Open("internal static bool " + MethodName(type) + "(ref global::System.Text.Json.Utf8JsonReader reader, " + Serialization +
                   ".GeneratedReaderNames names, out " + type.MetadataCode + " value)");
            w.Line("value = default!;");
            for (int i = 0; i < count; i++)
                w.Line(parameters[i].TypeCode + " p" + i + " = default!;");
            w.Line("ulong seen = 0;");
            w.Open("for (int read = 0; ; read++)");
            w.Open("switch (names.Next(ref reader, read))");
            w.Line("case " + Serialization + ".GeneratedReaderNames.End:");
            w.Indent();
            w.Line("if (seen != " + all + ") return false;");
            w.Line("value = new " + type.MetadataCode + "(" + string.Join(", ", Enumerable.Range(0, count).Select(i => "p" + i)) + ");");
            w.Line("return true;");
            w.Outdent();
            for (int i = 0; i < count; i++)
            {
                string bit = "0x" + (1UL << i).ToString("X", CultureInfo.InvariantCulture) + "UL";
                w.Line("case " + i.ToString(CultureInfo.InvariantCulture) + ":");
                w.Indent();
                w.Line("if ((seen & " + bit + ") != 0 || !" + Serialization + ".GeneratedReaderValues." + parameters[i].ValueMethod + "(ref reader, out p" + i + ")) return false;");
                w.Line("seen |= " + bit + ";");
                w.Line("break;");
                w.Outdent();
            }
            w.Line("default:");
            w.Indent().Line("return false;").Outdent();
            w.Close();
            w.Close();
            w.Close();
        }

        /// <summary>The module initializer's registration of the reader.</summary>
        public static string Registration(MessageTypeModel type, ReaderShape shape) =>
            Serialization + ".GeneratedReaders<" + type.MetadataCode + ">.Register(new " + Serialization + ".GeneratedReaderParameter[] { " +
            string.Join(", ", shape.Parameters.Select(p => "new(" + Code.String(p.Name) + ", typeof(" + p.TypeCode + "))")) +
            " }, " + Code.JsonTypes + "." + MethodName(type) + ");";
    }
}
