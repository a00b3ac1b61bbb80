using System;
using System.Linq;
using IpcContracts.Analyzers.Baseline;
using IpcContracts.Generators.Models;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>One file per contract: the descriptor class with its method table, dispatcher and nested proxy.</summary>
    internal static class ContractEmitter
    {
        public static void AddSource(SourceProductionContext context, ContractModel contract)
        {
            var text = SourceText.From(Emit(contract), System.Text.Encoding.UTF8);
            try
            {
                context.AddSource(contract.HintName, text);
            }
            catch (ArgumentException)
            {
                // Hint names are case-insensitive: two contracts whose full names differ only in case need a tie-breaker.
                context.AddSource(contract.FullName + "." + Fnv1a.Hash32(contract.FullName).ToString("X8") + ".IpcContract.g.cs", text);
            }
        }

        public static string Emit(ContractModel contract)
        {
            var w = new SourceWriter();
            w.Line(Code.FileHeader);
            EmitBaselineMetadata(w, contract);
            w.Line("namespace " + Code.GeneratedNamespace);
            w.Open();
            w.Line("/// <summary>Wire descriptor, dispatcher and " + (contract.IsEvent ? "publisher" : "proxy") +
                   " for <see cref=\"" + contract.InterfaceCode + "\"/> (alias " + Code.XmlText(Code.String(contract.Alias)) + ").</summary>");
            w.Line(Code.GeneratedCodeAttribute);
            w.Line(Code.ObsoleteContext);
            w.Open("internal sealed class " + contract.DescriptorName + " : " + Code.Runtime + ".ContractDescriptor<" + contract.InterfaceCode + ">");

            foreach (var m in contract.Methods)
            {
                w.Line("/// <summary><c>" + Code.XmlText(m.Signature) + "</c></summary>");
                w.Line("private static readonly " + Code.Runtime + ".MethodDescriptor " + ArgsShape.MethodField(m) + " = new(" +
                       Code.Hex(m.Id) + ", " + Code.String(m.Alias) + ", " + Code.Hex(m.Fingerprint) + ", " + Code.String(m.Signature) + ")" +
                       CallTimeout(m) + ";");
                w.Line();
            }

            // Declared after the method fields: static fields initialise in textual order and the constructor reads them.
            w.Line("/// <summary>The descriptor the module initializer registers.</summary>");
            w.Line("public static readonly " + contract.DescriptorName + " Instance = new();");
            w.Line();
            w.Line("private " + contract.DescriptorName + "()");
            w.Indent().Line(": base(" + Code.Hex(contract.Id) + ", " + Code.String(contract.Alias) + ", global::IpcContracts.ContractKind." +
                            (contract.IsEvent ? "Event" : "Request") + ", " + Code.String(contract.FullName) + ", " + MethodArray(contract) + ")").Outdent();
            w.Open().Close();
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line("public override " + contract.InterfaceCode + " CreateProxy(" + Code.Runtime + ".IOutboundChannel channel) => new Proxy(channel);");
            w.Line();

            DispatcherEmitter.Emit(w, contract);
            ProxyEmitter.Emit(w, contract);

            w.Close();
            w.Close();
            return w.ToString();
        }

        /// <summary>
        /// The contract's baseline lines (docs/diagnostics/IPC0022.md) as assembly metadata, so a tool can read the wire
        /// contracts of a built assembly with System.Reflection.Metadata, without loading it (<c>ipc diff OLD.dll NEW.dll</c>),
        /// and judge them by the same baseline rules the analyzers apply to contracts.shipped.txt.
        /// </summary>
        private static void EmitBaselineMetadata(SourceWriter w, ContractModel contract)
        {
            Metadata(w, BaselineFormat.ContractLine(contract.Id, contract.IsEvent, contract.Alias));
            foreach (var m in contract.Methods)
                Metadata(w, BaselineFormat.MethodLine(contract.Id, m.Id, m.Alias, m.Signature));
            w.Line();

            static void Metadata(SourceWriter w, string line) =>
                w.Line("[assembly: global::System.Reflection.AssemblyMetadata(" + Code.String(BaselineFormat.AssemblyMetadataKey) + ", " + Code.String(line) + ")]");
        }

        /// <summary>
        /// The method's own deadline as an initializer, only when [ContractMethod(TimeoutMilliseconds)] sets one: the
        /// output for every other method stays as it was, and MethodDescriptor takes it as an init property.
        /// </summary>
        private static string CallTimeout(MethodModel m) => m.TimeoutMilliseconds switch
        {
            0 => "",
            -1 => " { CallTimeout = global::System.Threading.Timeout.InfiniteTimeSpan }",
            var ms => " { CallTimeout = global::System.TimeSpan.FromMilliseconds(" + ms.ToString(System.Globalization.CultureInfo.InvariantCulture) + ") }",
        };

        private static string MethodArray(ContractModel contract) => contract.Methods.Count == 0
            ? "global::System.Array.Empty<" + Code.Runtime + ".MethodDescriptor>()"
            : "new " + Code.Runtime + ".MethodDescriptor[] { " + string.Join(", ", contract.Methods.Select(ArgsShape.MethodField)) + " }";
    }
}
