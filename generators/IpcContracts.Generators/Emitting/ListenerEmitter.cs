using System;
using System.Linq;
using IpcContracts.Generators.Models;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Generators.Emitting
{
    /// <summary>
    /// For each [EventContract] interface, a base class whose events are virtual no-ops, so a listener overrides only
    /// the events it wants: <c>sealed class StockListener : InventoryEventsListener { public override void
    /// StockChanged(StockChange c) { ... } }</c>, subscribed as before with <c>Subscribe&lt;IInventoryEvents&gt;(...)</c>.
    /// The class implements the interface with public virtual methods, so the generated dispatcher, which calls the
    /// interface method, reaches an override exactly as it reaches a direct implementation. Design:
    /// <list type="bullet">
    /// <item>Name: the interface name without its 'I' prefix (an 'I' followed by an upper-case letter) plus
    /// "Listener" (IInventoryEvents -> InventoryEventsListener); namespace and accessibility: the interface's, so it
    /// sits next to it and is exactly as visible.</item>
    /// <item>Nested contracts: the listener becomes a member of the same containing types, re-declared as partial. That
    /// needs the user's containers to be partial (a generator cannot add members to any other type); otherwise no
    /// listener is emitted. Emitting it elsewhere (the namespace, or IpcContracts.Generated) would need an invented
    /// name and put it where nobody looks for it.</item>
    /// <item>Returns: void events get an empty body, Task events Task.CompletedTask, ValueTask events default
    /// (a completed ValueTask): a no-op completes at once.</item>
    /// <item>Methods: one per event, including those inherited from base interfaces, overloads included; parameter
    /// types and names exactly as the interface declares them (nullable annotations, escaped keywords).
    /// [Obsolete] on an event method is not copied (implementing it directly does not warn either); [Obsolete] on
    /// the interface is, so deriving from the listener warns like implementing the interface does.</item>
    /// <item>Never breaks a build: when the name is taken where the listener would go (a user type, a namespace, a
    /// member), or the methods cannot be virtual methods of one class warning-free (ListenerParser lists the
    /// cases), the listener is left out and the contract itself is generated as usual.</item>
    /// </list>
    /// </summary>
    internal static class ListenerEmitter
    {
        public static void AddSource(SourceProductionContext context, ContractModel contract)
        {
            if (contract.Listener is not { } listener)
                return;
            var text = SourceText.From(Emit(contract, listener), System.Text.Encoding.UTF8);
            try
            {
                context.AddSource(listener.HintName, text);
            }
            catch (ArgumentException)
            {
                // Hint names are case-insensitive: two contracts whose full names differ only in case need a tie-breaker.
                context.AddSource(contract.FullName + "." + Fnv1a.Hash32(contract.FullName).ToString("X8") + ".IpcListener.g.cs", text);
            }
        }

        public static string Emit(ContractModel contract, ListenerModel listener)
        {
            var w = new SourceWriter();
            w.Line(Code.FileHeader);
            if (listener.Namespace is not null)
            {
                w.Line("namespace " + listener.Namespace);
                w.Open();
            }
            foreach (var container in listener.Containers)
                w.Open("partial " + container.Keyword + " " + container.Name);

            w.Line("/// <summary>");
            w.Line("/// Receives <see cref=\"" + contract.InterfaceCode + "\"/> events: every event is a virtual method that does nothing,");
            w.Line("/// so a listener overrides only the events it wants. Subscribe it with <c>Subscribe&lt;" + Code.XmlText(contract.FullName) + "&gt;(listener)</c>.");
            w.Line("/// </summary>");
            w.Line(Code.GeneratedCodeAttribute);
            if (listener.ObsoleteAttribute is not null)
                w.Line(listener.ObsoleteAttribute);
            w.Open(listener.Accessibility + " abstract class " + listener.Name + " : " + contract.InterfaceCode);
            for (int i = 0; i < contract.Methods.Count; i++)
            {
                if (i > 0)
                    w.Line();
                EmitMethod(w, contract.Methods[i]);
            }
            w.Close();

            foreach (var _ in listener.Containers)
                w.Close();
            if (listener.Namespace is not null)
                w.Close();
            return w.ToString();
        }

        private static void EmitMethod(SourceWriter w, MethodModel m)
        {
            var parameters = m.Parameters.Select(p => p.Type.Code + " " + p.Identifier).ToList();
            if (m.CancellationTokenIdentifier is not null)
                parameters.Add("global::System.Threading.CancellationToken " + m.CancellationTokenIdentifier);
            w.Line("/// <summary>The <c>" + Code.XmlText(m.Name.TrimStart('@')) + "</c> event; does nothing unless overridden.</summary>");
            string header = "public virtual " + ReturnType(m) + " " + m.Name + "(" + string.Join(", ", parameters) + ")";
            switch (m.Returns)
            {
                case ReturnShape.Task:
                    w.Line(header + " => " + Code.Tasks + ".Task.CompletedTask;");
                    break;
                case ReturnShape.ValueTask:
                    w.Line(header + " => default;");
                    break;
                default:
                    w.Open(header).Close();
                    break;
            }
        }

        /// <summary>Events return void, Task or ValueTask (MethodParser rejects the rest).</summary>
        private static string ReturnType(MethodModel m) => m.Returns switch
        {
            ReturnShape.Task => Code.Tasks + ".Task",
            ReturnShape.ValueTask => Code.Tasks + ".ValueTask",
            _ => "void",
        };
    }
}
