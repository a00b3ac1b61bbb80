using IpcContracts.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcContracts.Generators.Tests;

/// <summary>
/// The listener base class generated per event contract (SnapshotTests.EventsListener pins its text): user listeners
/// that override some events compile warning-free for every shape, and where a listener cannot be emitted without
/// breaking the build it is left out while the contract is still generated.
/// </summary>
public sealed class ListenerTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;

        """;

    private const string ListenerSuffix = ".IpcListener.g.cs";

    [Fact]
    public void A_listener_overriding_one_event_compiles_warning_free_with_documentation_warnings_on()
    {
        const string user = """
            namespace App;

            /// <summary>Receives stock changes only.</summary>
            public sealed class StockListener : Shop.InventoryEventsListener
            {
                /// <summary>The last change seen.</summary>
                public Shop.StockChanged? Last { get; private set; }

                /// <inheritdoc/>
                public override void StockChanged(Shop.StockChanged e) => Last = e;
            }

            /// <summary>Uses it as the contract, as Subscribe does.</summary>
            public static class Use
            {
                /// <summary>The listener as the interface.</summary>
                public static Shop.IInventoryEvents AsContract() => new StockListener();
            }
            """;
        // Documentation warnings (CS1591 for a public member without a summary) are on in many user projects.
        var parseOptions = TestCompilation.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var result = GeneratorRunner.Run(TestCompilation.Create(parseOptions, ContractShapes.Events, user), withSystemTextJson: true, parseOptions);

        Assert.Contains("Shop.IInventoryEvents" + ListenerSuffix, result.HintNames);
        // The shape itself has undocumented public types; only the listener file and the user's code must be clean.
        var problems = result.Output.Problems().Where(d => d.Location.SourceTree?.FilePath is { } path && !path.EndsWith("Source0.cs", StringComparison.Ordinal)).ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));
    }

    private const string Rich = Usings + """
        namespace Shop.Rich;

        public interface IBaseEvents
        {
            void Started(string source);
        }

        [EventContract]
        public interface IRichEvents : IBaseEvents
        {
            void Changed(Item item);
            [ContractMethod("changed.many")]
            void Changed(Item[] items, string? note);
            Task Removed(string @class, int @event = 3, params string[] @params);
            ValueTask Cleared(CancellationToken ct);
            [Obsolete("use Changed")]
            void Old(Item? item);
            void Maybe(List<string?>? names, int? count);
        }

        public static partial class Outer
        {
            public partial class Middle
            {
                [EventContract]
                internal interface INestedEvents
                {
                    void Happened(Item item);
                }
            }

            public partial record Rec
            {
                [EventContract]
                public interface IInRecord { void Ping(); }
            }

            public partial struct Str
            {
                [EventContract]
                public interface IInStruct { void Ping(); }
            }

            public partial interface IHolder
            {
                [EventContract]
                public interface IInInterface { void Ping(); }
            }
        }

        [EventContract]
        internal interface IInternalEvents { void Ping(); }

        [EventContract]
        public interface Ideas { void Ping(); }

        public sealed record Item(string Name);

        [JsonSerializable(typeof(Item))]
        [JsonSerializable(typeof(Item[]))]
        [JsonSerializable(typeof(List<string?>))]
        internal partial class RichJson : JsonSerializerContext;
        """;

    private const string Global = """
        [IpcContracts.EventContract]
        public interface IGlobalEvents { void Ping(); }
        """;

    private const string RichUser = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Shop.Rich;

        namespace App;

        // Each overrides one or some events: the rest stay the base's no-ops.
        internal sealed class RichListener : RichEventsListener
        {
            public override void Started(string source) { }
            public override void Changed(Item[] items, string? note) { }
            public override Task Removed(string @class, int @event, string[] @params) => Task.CompletedTask;
            public override ValueTask Cleared(CancellationToken ct) => default;
            public override void Maybe(List<string?>? names, int? count) { }
        }

        internal sealed class NestedListener : Outer.Middle.NestedEventsListener { public override void Happened(Item item) { } }
        internal sealed class RecordListener : Outer.Rec.InRecordListener { public override void Ping() { } }
        internal sealed class StructListener : Outer.Str.InStructListener { public override void Ping() { } }
        internal sealed class InterfaceListener : Outer.IHolder.InInterfaceListener { public override void Ping() { } }
        internal sealed class InternalListener : InternalEventsListener { public override void Ping() { } }
        internal sealed class IdeasOnly : IdeasListener { public override void Ping() { } }
        internal sealed class GlobalListener : global::GlobalEventsListener { public override void Ping() { } }

        internal static class Use
        {
            public static object[] All() => new object[]
            {
                (IRichEvents)new RichListener(), (IBaseEvents)new RichListener(), (Outer.Middle.INestedEvents)new NestedListener(),
                (Outer.Rec.IInRecord)new RecordListener(), (Outer.Str.IInStruct)new StructListener(),
                (Outer.IHolder.IInInterface)new InterfaceListener(), (IInternalEvents)new InternalListener(), (Ideas)new IdeasOnly(),
                (global::IGlobalEvents)new GlobalListener(),
            };
        }
        """;

    [Fact]
    public void Listeners_for_every_event_shape_compile_warning_free_with_user_overrides()
    {
        var result = GeneratorRunner.Run(new[] { Rich, Global, RichUser }, withSystemTextJson: true);

        Assert.All(result.Run.Results, r => Assert.Null(r.Exception));
        Assert.Equal(
            new[]
            {
                "IGlobalEvents", "Shop.Rich.IInternalEvents", "Shop.Rich.IRichEvents", "Shop.Rich.Ideas", "Shop.Rich.Outer.IHolder.IInInterface",
                "Shop.Rich.Outer.Middle.INestedEvents", "Shop.Rich.Outer.Rec.IInRecord", "Shop.Rich.Outer.Str.IInStruct",
            }.Select(n => n + ListenerSuffix),
            result.HintNames.Where(h => h.EndsWith(ListenerSuffix, StringComparison.Ordinal)));
        var problems = result.Output.Problems().ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));

        var rich = result.Text("Shop.Rich.IRichEvents" + ListenerSuffix);
        Assert.Contains("public abstract class RichEventsListener : global::Shop.Rich.IRichEvents", rich);
        // Inherited, overloaded, keyword-named and annotated members, exactly as the interface declares them.
        Assert.Contains("public virtual void Started(string source)", rich);
        Assert.Contains("public virtual void Changed(global::Shop.Rich.Item item)", rich);
        Assert.Contains("public virtual void Changed(global::Shop.Rich.Item[] items, string? note)", rich);
        Assert.Contains("public virtual global::System.Threading.Tasks.Task Removed(string @class, int @event, string[] @params) => global::System.Threading.Tasks.Task.CompletedTask;", rich);
        Assert.Contains("public virtual global::System.Threading.Tasks.ValueTask Cleared(global::System.Threading.CancellationToken ct) => default;", rich);
        Assert.Contains("public virtual void Maybe(global::System.Collections.Generic.List<string?>? names, int? count)", rich);
        Assert.Contains("internal abstract class NestedEventsListener", result.Text("Shop.Rich.Outer.Middle.INestedEvents" + ListenerSuffix));
        Assert.Contains("internal abstract class InternalEventsListener", result.Text("Shop.Rich.IInternalEvents" + ListenerSuffix));
    }

    /// <summary>Sources where a listener would not compile or would clash with the user's code; (source, contract without a listener).</summary>
    public static TheoryData<string, string, string> Skipped => new()
    {
        {
            "a user type already has the name (e.g. a full implementation written before listeners existed)",
            Usings + "namespace Shop; [EventContract] public interface IAEvents { void Ping(); } public sealed class AEventsListener : IAEvents { public void Ping() { } }",
            "Shop.IAEvents"
        },
        {
            "a namespace has the name",
            Usings + "namespace Shop { [EventContract] public interface IAEvents { void Ping(); } } namespace Shop.AEventsListener { internal static class X { } }",
            "Shop.IAEvents"
        },
        {
            "a member of the container has the name",
            Usings + "namespace Shop; public partial class Outer { public int AEventsListener; [EventContract] public interface IAEvents { void Ping(); } }",
            "Shop.Outer.IAEvents"
        },
        {
            "the container has the name",
            Usings + "namespace Shop; public partial class AEventsListener { [EventContract] public interface IAEvents { void Ping(); } }",
            "Shop.AEventsListener.IAEvents"
        },
        {
            "nested in a class that is not partial",
            Usings + "namespace Shop; public static class Outer { [EventContract] public interface IAEvents { void Ping(); } }",
            "Shop.Outer.IAEvents"
        },
        {
            "nested in a partial class inside one that is not",
            Usings + "namespace Shop; public class Outer { public partial class Inner { [EventContract] public interface IAEvents { void Ping(); } } }",
            "Shop.Outer.Inner.IAEvents"
        },
        {
            "nested in a readonly partial struct",
            Usings + "namespace Shop; public readonly partial struct Outer { [EventContract] public interface IAEvents { void Ping(); } }",
            "Shop.Outer.IAEvents"
        },
        {
            "an event named like the listener",
            Usings + "namespace Shop; [EventContract] public interface IAEvents { void AEventsListener(); }",
            "Shop.IAEvents"
        },
        {
            "an event that would hide object.ToString",
            Usings + "namespace Shop; [EventContract] public interface IAEvents { void ToString(); }",
            "Shop.IAEvents"
        },
        {
            "an event that would hide object.Equals(object)",
            Usings + "namespace Shop; [EventContract] public interface IAEvents { void Equals(object other); }",
            "Shop.IAEvents"
        },
        {
            "an inherited event re-declared with the same parameters (one body for two events)",
            Usings + "namespace Shop; public interface IBase { void Ping(); } [EventContract] public interface IAEvents : IBase { [ContractMethod(\"ping.again\")] new void Ping(); }",
            "Shop.IAEvents"
        },
        {
            "an I-prefixed event contract maps to the same name",
            Usings + "namespace Shop; [EventContract] public interface IAEvents { void Ping(); } [EventContract] public interface AEvents { void Pong(); }",
            "Shop.AEvents"
        },
    };

    [Theory]
    [MemberData(nameof(Skipped))]
    public void A_listener_that_would_break_the_build_is_left_out_and_the_contract_is_still_generated(string why, string source, string contract)
    {
        var result = GeneratorRunner.Run(new[] { source }, withSystemTextJson: true);

        Assert.All(result.Run.Results, r => Assert.Null(r.Exception));
        Assert.Contains(contract + ".IpcContract.g.cs", result.HintNames);
        Assert.DoesNotContain(contract + ListenerSuffix, result.HintNames);
        var problems = result.Output.Problems().ToList();
        Assert.True(problems.Count == 0, why + ":\n" + TestCompilation.Describe(problems));
    }

    [Fact]
    public void The_I_prefixed_contract_keeps_the_name_it_shares()
    {
        var source = Usings + "namespace Shop; [EventContract] public interface IAEvents { void Ping(); } [EventContract] public interface AEvents { void Pong(); }";
        var result = GeneratorRunner.Run(new[] { source });

        Assert.Contains("public abstract class AEventsListener : global::Shop.IAEvents", result.Text("Shop.IAEvents" + ListenerSuffix));
    }

    [Fact]
    public void Request_contracts_get_no_listener()
    {
        var result = GeneratorRunner.Run(new[] { ContractShapes.ManyParameters });

        Assert.Contains("Shop.IPricing.IpcContract.g.cs", result.HintNames);
        Assert.DoesNotContain(result.HintNames, h => h.EndsWith(ListenerSuffix, StringComparison.Ordinal));
    }

    [Fact]
    public void Deriving_from_the_listener_of_an_obsolete_contract_warns_like_implementing_the_contract()
    {
        const string source = Usings + """
            namespace Shop;

            [Obsolete("use INewEvents", UrlFormat = "https://example.test/{0}")]
            [EventContract]
            public interface IOldEvents { void Ping(); }
            """;
        const string user = """
            namespace App;
            internal sealed class ViaListener : Shop.OldEventsListener { }
            internal sealed class Direct : Shop.IOldEvents { public void Ping() { } }
            """;
        var result = GeneratorRunner.Run(new[] { source, user }, withSystemTextJson: true);

        Assert.Contains("[global::System.Obsolete(\"use INewEvents\", UrlFormat = \"https://example.test/{0}\")]", result.Text("Shop.IOldEvents" + ListenerSuffix));
        var problems = result.Output.Problems().ToList();
        // Exactly one warning each for the two user classes, with the contract's message; none in generated code.
        Assert.True(problems.Count == 2, TestCompilation.Describe(problems));
        Assert.All(problems, d =>
        {
            Assert.Equal("CS0618", d.Id);
            Assert.Contains("use INewEvents", d.GetMessage());
            Assert.Equal("Source1.cs", d.Location.SourceTree?.FilePath);
        });
    }

    [Fact]
    public void Adding_a_user_type_with_the_listeners_name_drops_the_listener_and_keeps_the_contract_file()
    {
        var compilation = TestCompilation.Create(ContractShapes.Events);
        var driver = GeneratorRunner.CreateTrackingDriver().RunGenerators(compilation);
        var before = Texts(driver.GetRunResult());
        Assert.Contains("Shop.IInventoryEvents" + ListenerSuffix, before.Keys);

        var withUserType = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Shop; public sealed class InventoryEventsListener { }", TestCompilation.ParseOptions));
        var after = Texts(driver.RunGenerators(withUserType).GetRunResult());

        Assert.DoesNotContain("Shop.IInventoryEvents" + ListenerSuffix, after.Keys);
        Assert.Equal(before["Shop.IInventoryEvents.IpcContract.g.cs"], after["Shop.IInventoryEvents.IpcContract.g.cs"]);
    }

    private static Dictionary<string, string> Texts(GeneratorDriverRunResult result) =>
        result.Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
}
