using IpcContracts.Generators.Models;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>
    /// Registers every descriptor and message type when the assembly loads, so the runtime finds them
    /// through static generic slots instead of reflection.
    /// </summary>
    internal static class ModuleInitializerEmitter
    {
        public const string HintName = "IpcContractsModule.g.cs";

        public static string Emit(AssemblyModel model)
        {
            var w = new SourceWriter();
            w.Line(Code.FileHeader + "// A module initializer in a library is the point here: registration without reflection.\n#pragma warning disable CA2255\n");
            w.Line("namespace " + Code.GeneratedNamespace);
            w.Open();
            w.Line("/// <summary>Registers this assembly's IpcContracts descriptors and message types.</summary>");
            w.Line(Code.GeneratedCodeAttribute);
            w.Line(Code.ObsoleteContext);
            w.Open("internal static class IpcContractsModule");
            w.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
            w.Open("internal static void Initialize()");
            foreach (var c in model.Contracts)
                w.Line(Code.Runtime + ".ContractRegistry.Register<" + c.InterfaceCode + ">(global::" + Code.GeneratedNamespace + "." + c.DescriptorName + ".Instance);");
            foreach (var t in model.MessageTypes)
                w.Line(Code.Runtime + ".MessageTypeRegistry.Register<" + t.MetadataCode + ">(" + Code.Hex(t.Id) + ", " + Code.String(t.CanonicalName) +
                       ", static () => " + Code.JsonTypes + "." + t.PropertyName + ");");
            foreach (var t in model.MessageTypes)
            {
                if (t.Reader is { } reader)
                    w.Line(ReaderEmitter.Registration(t, reader));
            }
            w.Close();
            w.Close();
            w.Close();
            return w.ToString();
        }
    }
}
