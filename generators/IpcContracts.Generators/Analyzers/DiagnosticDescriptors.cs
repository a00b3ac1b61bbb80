using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers
{
    /// <summary>Every IpcContracts diagnostic, in one place. IDs are listed in AnalyzerReleases.*.md and documented in docs/diagnostics.</summary>
    internal static class DiagnosticDescriptors
    {
        // The repository address (IpcRepositoryUrl in Directory.Build.props, also the packages' repository URL) plus the
        // pages' path in the repository; the same pages ship in the package under docs/diagnostics (README "Diagnostics").
        public const string HelpLinkBase = "https://github.com/ipccontracts/ipccontracts/blob/main/docs/diagnostics/";

        private const string ContractCategory = "IpcContracts.Contract";
        private const string WireIdCategory = "IpcContracts.WireId";
        private const string JsonCategory = "IpcContracts.Json";
        private const string UsageCategory = "IpcContracts.Usage";
        private const string BaselineCategory = "IpcContracts.Baseline";

        public const string ContractOnNonInterfaceId = "IPC0001";
        public const string ContractNotAccessibleId = "IPC0002";
        public const string GenericContractId = "IPC0003";
        public const string BothContractKindsId = "IPC0004";
        public const string RequestReturnTypeId = "IPC0005";
        public const string EventReturnTypeId = "IPC0006";
        public const string ByRefParameterId = "IPC0007";
        public const string UnsupportedTypeId = "IPC0008";
        public const string GenericMethodId = "IPC0009";
        public const string UnsupportedMemberId = "IPC0010";
        public const string CancellationTokenNotLastId = "IPC0011";
        public const string MultipleCancellationTokensId = "IPC0012";
        public const string OverloadWithoutAliasId = "IPC0013";
        public const string DuplicateMethodIdId = "IPC0014";
        public const string DuplicateContractIdId = "IPC0015";
        public const string ReferencedContractCollisionId = "IPC0016";
        public const string JsonTypeNotRegisteredId = "IPC0017";
        public const string JsonTypeNotAotSafeId = "IPC0018";
        public const string InvalidJsonContextId = "IPC0019";
        public const string NotAContractTypeArgumentId = "IPC0020";
        public const string WeakDelegateSubscriptionId = "IPC0021";
        public const string NotInBaselineId = "IPC0022";
        public const string ShippedRemovedId = "IPC0023";
        public const string ShippedChangedId = "IPC0024";
        public const string RetiredIdReusedId = "IPC0025";
        public const string MalformedBaselineId = "IPC0026";
        public const string NotSupportedYetId = "IPC0027";
        public const string StreamInTaskId = "IPC0028";
        public const string ProgressNotAllowedId = "IPC0029";
        public const string StreamParameterNotAllowedId = "IPC0030";
        public const string MultipleBinaryParametersId = "IPC0031";
        public const string InvalidCallTimeoutId = "IPC0032";

        // Names of Diagnostic.Properties entries the code fixes read.
        public const string TypeNameProperty = "TypeName";
        public const string ContextProperty = "Context";
        public const string ContextNamespaceProperty = "ContextNamespace";
        public const string NeedsAssemblyAttributeProperty = "NeedsAssemblyAttribute";
        public const string AliasProperty = "Alias";
        public const string BaselineLinesProperty = "BaselineLines";
        public const string BaselineDirectoryProperty = "BaselineDirectory";

        /// <summary>IPC0005's fix, set only when the fixed method is a valid contract method: one of the values below.</summary>
        public const string ReturnFixProperty = "ReturnFix";
        public const string ReturnFixTask = "Task";
        public const string ReturnFixWrap = "Wrap";
        public const string ReturnFixDropRef = "DropRef";

        /// <summary>IPC0028's fix (return the IAsyncEnumerable&lt;T&gt; itself), set only when the unwrapped result is valid.</summary>
        public const string UnwrapFixProperty = "UnwrapFix";

        public static readonly DiagnosticDescriptor ContractOnNonInterface = new DiagnosticDescriptor(
            ContractOnNonInterfaceId,
            "Contract attributes belong on interfaces",
            "[{0}] is on {1} '{2}', which is not an interface; declare the contract as an interface",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "[RequestContract] and [EventContract] describe a wire contract as a C# interface. The generator ignores them anywhere else.",
            helpLinkUri: HelpLinkBase + ContractOnNonInterfaceId + ".md");

        public static readonly DiagnosticDescriptor ContractNotAccessible = new DiagnosticDescriptor(
            ContractNotAccessibleId,
            "Contract interface is not accessible to generated code",
            "Contract '{0}' cannot be used by generated code because {1}; make it (and every type containing it) public or internal",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "The generator adds a proxy and a dispatcher next to the contract in the same assembly. They can only name interfaces that are public or internal all the way out; private or protected nesting hides the contract and the generator skips it.",
            helpLinkUri: HelpLinkBase + ContractNotAccessibleId + ".md");

        public static readonly DiagnosticDescriptor GenericContract = new DiagnosticDescriptor(
            GenericContractId,
            "Contract interface cannot be generic",
            "Contract '{0}' {1}; wire IDs belong to one closed interface, so declare a non-generic interface per payload type",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A contract's wire ID and method fingerprints are computed at compile time from one closed interface. Generic interfaces, and interfaces nested in generic types, have no single shape and are skipped by the generator.",
            helpLinkUri: HelpLinkBase + GenericContractId + ".md");

        public static readonly DiagnosticDescriptor BothContractKinds = new DiagnosticDescriptor(
            BothContractKindsId,
            "Interface is both a request and an event contract",
            "'{0}' has both [RequestContract] and [EventContract]; keep one, or split the interface in two",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A contract is either request/response or one-way events; the generator skips an interface that claims to be both.",
            helpLinkUri: HelpLinkBase + BothContractKindsId + ".md");

        public static readonly DiagnosticDescriptor RequestReturnType = new DiagnosticDescriptor(
            RequestReturnTypeId,
            "Request methods return Task, Task<T>, ValueTask, ValueTask<T> or IAsyncEnumerable<T>",
            "Request method '{0}' returns '{1}'; return {2} so the call can be awaited across the process boundary",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A request crosses a process boundary, so it is always asynchronous: it returns Task, Task<T>, ValueTask or ValueTask<T>, or IAsyncEnumerable<T> for a stream of results. The generator skips a contract with any other return type.",
            helpLinkUri: HelpLinkBase + RequestReturnTypeId + ".md");

        public static readonly DiagnosticDescriptor EventReturnType = new DiagnosticDescriptor(
            EventReturnTypeId,
            "Event methods return void, Task or ValueTask",
            "Event method '{0}' returns '{1}'; events are one-way and fanned out to many subscribers, so return void, Task or ValueTask (use a [RequestContract] for an answer)",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Events are one-way: nobody answers them, so they cannot return a value. The generator skips an event contract whose methods return anything but void, Task or ValueTask.",
            helpLinkUri: HelpLinkBase + EventReturnTypeId + ".md");

        public static readonly DiagnosticDescriptor ByRefParameter = new DiagnosticDescriptor(
            ByRefParameterId,
            "Contract parameters are passed by value",
            "Parameter '{0}' of '{1}' is {2}; pass it by value and return results through Task<T>",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Arguments are copied to another process as JSON; nothing can be written back through ref, out or in parameters, and __arglist cannot be serialized.",
            helpLinkUri: HelpLinkBase + ByRefParameterId + ".md");

        public static readonly DiagnosticDescriptor UnsupportedType = new DiagnosticDescriptor(
            UnsupportedTypeId,
            "Type cannot cross the process boundary",
            "{0} of '{1}' has type '{2}', which {3}; use a serializable, accessible type",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Payload types become JSON values and are named by generated code: pointers, function pointers, ref structs (Span<T>), type parameters and types that are private or protected cannot be.",
            helpLinkUri: HelpLinkBase + UnsupportedTypeId + ".md");

        public static readonly DiagnosticDescriptor NotSupportedYet = new DiagnosticDescriptor(
            NotSupportedYetId,
            "Streams, progress and byte streams are supported only as a request method's own parameters or result",
            "{0} of '{1}' has type '{2}', and {3} are not supported in contracts; remove it, and {4}",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A request method may return IAsyncEnumerable<T>, Task<Stream> or Task<PipeReader> (or ValueTask of either), and take one stream parameter (IAsyncEnumerable<T>, Stream or PipeReader) and one IProgress<T> parameter. Anywhere else these types are not JSON values and cannot cross the process boundary: streams of values inside another type, as the items of another stream, or IAsyncEnumerator<T>; IProgress<T> inside another type or as a result; Stream or PipeReader inside another type or as stream items, and types derived from them (generated code on the receiving side creates a plain Stream or PipeReader); and PipeWriter anywhere (bytes travel as a source the receiver reads, so take a Stream or PipeReader, or return one). Wrapping them in Task<T> or registering them with a JsonSerializerContext only moves the failure to run time. The generator skips a contract that uses them.",
            helpLinkUri: HelpLinkBase + NotSupportedYetId + ".md");

        public static readonly DiagnosticDescriptor StreamInTask = new DiagnosticDescriptor(
            StreamInTaskId,
            "Stream results are returned directly, not inside a task",
            "Request method '{0}' returns '{1}'; return {2} itself: 'await foreach' already awaits the call, and the handler's async iterator can do its setup before the first yield",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A request method that streams its result returns IAsyncEnumerable<T>. Task<IAsyncEnumerable<T>> and ValueTask<IAsyncEnumerable<T>> (a shape other RPC libraries accept) would add an await that does nothing: the proxy's stream sends the call when it is enumerated, and the handler's async iterator can await whatever it needs before its first item. The generator skips a contract that uses them.",
            helpLinkUri: HelpLinkBase + StreamInTaskId + ".md");

        public static readonly DiagnosticDescriptor ProgressNotAllowed = new DiagnosticDescriptor(
            ProgressNotAllowedId,
            "Only one IProgress<T>, and only on a request method that returns a task",
            "Parameter '{0}' of '{1}' has type '{2}', but {3}; remove it, and {4}",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "An IProgress<T> parameter reports back to the caller while a request runs, so it belongs on a [RequestContract] method that returns Task, Task<T>, ValueTask or ValueTask<T>, once: an event has no caller waiting to receive reports, a method that returns IAsyncEnumerable<T> already reports with every item (and one that returns a Stream or PipeReader with every chunk of bytes), and the caller's reports travel through a single IProgress<T>. The generator skips a contract that breaks this.",
            helpLinkUri: HelpLinkBase + ProgressNotAllowedId + ".md");

        public static readonly DiagnosticDescriptor StreamParameterNotAllowed = new DiagnosticDescriptor(
            StreamParameterNotAllowedId,
            "Only one stream parameter (IAsyncEnumerable<T>, Stream or PipeReader), and only on a request method",
            "Parameter '{0}' of '{1}' has type '{2}', but {3}; remove it, and {4}",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "An IAsyncEnumerable<T>, Stream or PipeReader parameter streams items or bytes from the caller to the handler while a request runs, so it belongs on a [RequestContract] method (one that returns a task or IAsyncEnumerable<T>), once: an event has no call for the items to travel in, and a call carries a single argument stream. An IProgress<T> parameter may stand next to it on a method that returns a task: the handler reports back while it reads. The generator skips a contract that breaks this.",
            helpLinkUri: HelpLinkBase + StreamParameterNotAllowedId + ".md");

        public static readonly DiagnosticDescriptor MultipleBinaryParameters = new DiagnosticDescriptor(
            MultipleBinaryParametersId,
            "At most one binary parameter per method",
            "Parameter '{0}' of '{1}' has type '{2}', but '{3}' is already the method's binary parameter, and a call carries one parameter's bytes raw; remove it, and pass these bytes as a member of a DTO (base64 in the JSON arguments), or combine both into one binary parameter",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A byte[], ReadOnlyMemory<byte> or ReadOnlySequence<byte> parameter travels as raw bytes after the JSON arguments in the call's frame (no base64, no JSON escaping), and a frame has one such binary section, so a method takes at most one binary parameter, on request and event contracts alike. Results and stream items of these types are not limited, and byte arrays inside other types travel as base64 JSON. The generator skips a contract that breaks this.",
            helpLinkUri: HelpLinkBase + MultipleBinaryParametersId + ".md");

        public static readonly DiagnosticDescriptor InvalidCallTimeout = new DiagnosticDescriptor(
            InvalidCallTimeoutId,
            "A method's call timeout must be positive or Timeout.Infinite, and only on a request method",
            "TimeoutMilliseconds = {0} on '{1}' {2}; remove it, or {3}",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "[ContractMethod(TimeoutMilliseconds = ...)] gives a request method's calls their own deadline instead of IpcOptions.DefaultCallTimeout: a positive number of milliseconds, or Timeout.Infinite (-1) for none. Zero would time a call out before it is sent, other negative numbers mean nothing, and an event is not awaited by a caller, so it has no deadline to set. The generator skips a contract that breaks this.",
            helpLinkUri: HelpLinkBase + InvalidCallTimeoutId + ".md");

        public static readonly DiagnosticDescriptor GenericMethod = new DiagnosticDescriptor(
            GenericMethodId,
            "Contract methods cannot be generic",
            "Method '{0}' is generic; wire fingerprints need closed types, so declare one method per payload type",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A method's fingerprint is computed from its parameter and result types at compile time. Generic methods have no fixed shape and make the generator skip the contract.",
            helpLinkUri: HelpLinkBase + GenericMethodId + ".md");

        public static readonly DiagnosticDescriptor UnsupportedMember = new DiagnosticDescriptor(
            UnsupportedMemberId,
            "Contracts declare only abstract methods",
            "'{0}' is {1}; a contract can only declare methods (use Get/Set methods instead of properties, an [EventContract] instead of C# events)",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Only abstract instance methods cross the wire. Properties, indexers, C# events, default implementations, static abstract or virtual members and explicit implementations make the generator skip the contract.",
            helpLinkUri: HelpLinkBase + UnsupportedMemberId + ".md");

        public static readonly DiagnosticDescriptor CancellationTokenNotLast = new DiagnosticDescriptor(
            CancellationTokenNotLastId,
            "CancellationToken must be the last parameter",
            "CancellationToken '{0}' of '{1}' is followed by other parameters; move it to the end",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "The CancellationToken is the call's token, not a payload value: it must be the last parameter so the generated proxy can pass it to the call.",
            helpLinkUri: HelpLinkBase + CancellationTokenNotLastId + ".md");

        public static readonly DiagnosticDescriptor MultipleCancellationTokens = new DiagnosticDescriptor(
            MultipleCancellationTokensId,
            "Only one CancellationToken per method",
            "'{0}' has more than one CancellationToken ('{1}' is extra); keep a single trailing token",
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A call has exactly one cancellation token, which the caller cancels and the handler receives. A second token could not be forwarded.",
            helpLinkUri: HelpLinkBase + MultipleCancellationTokensId + ".md");

        public static readonly DiagnosticDescriptor OverloadWithoutAlias = new DiagnosticDescriptor(
            OverloadWithoutAliasId,
            "Overloads need distinct aliases",
            "'{0}' overloads '{1}', and both take their wire ID from the name '{2}'; give this overload its own alias with [ContractMethod(\"...\")]",
            WireIdCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Method wire IDs are hashes of the method alias, which defaults to the method name, so overloads collide. [ContractMethod(\"alias\")] gives each overload a stable name of its own.",
            helpLinkUri: HelpLinkBase + OverloadWithoutAliasId + ".md");

        public static readonly DiagnosticDescriptor DuplicateMethodId = new DiagnosticDescriptor(
            DuplicateMethodIdId,
            "Duplicate method wire ID or alias in a contract",
            "'{0}' has {1} of '{2}' ({3}); give one of them another [ContractMethod] alias or Id",
            WireIdCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Every method of a contract (including inherited ones) needs its own wire ID, and its own alias for untyped calls by name.",
            helpLinkUri: HelpLinkBase + DuplicateMethodIdId + ".md");

        public static readonly DiagnosticDescriptor DuplicateContractId = new DiagnosticDescriptor(
            DuplicateContractIdId,
            "Duplicate contract wire ID or alias",
            "Contract '{0}' has {1} of contract '{2}' ({3}); give one of them another alias or Id",
            WireIdCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Contracts are found on the wire by their ID (the FNV-1a hash of the alias unless Id is set) and by alias for untyped calls, so both must be unique in the process.",
            helpLinkUri: HelpLinkBase + DuplicateContractIdId + ".md");

        public static readonly DiagnosticDescriptor ReferencedContractCollision = new DiagnosticDescriptor(
            ReferencedContractCollisionId,
            "Contract wire ID or alias collides with a referenced contract",
            "Contract '{0}' has {1} of contract '{2}' in referenced assembly '{3}' ({4}); give this contract another alias or Id",
            WireIdCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Contracts of every assembly loaded into a process share one registry keyed by wire ID; a collision with a referenced contracts assembly would make one of them unreachable.",
            helpLinkUri: HelpLinkBase + ReferencedContractCollisionId + ".md");

        public static readonly DiagnosticDescriptor JsonTypeNotRegistered = new DiagnosticDescriptor(
            JsonTypeNotRegisteredId,
            "Payload type has no System.Text.Json metadata",
            "{0} of '{1}' has type '{2}', which no JsonSerializerContext used by the generator covers; add [JsonSerializable(typeof({3}))] to {4}",
            JsonCategory,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Payloads are serialized with source-generated System.Text.Json metadata only (no reflection, Native AOT safe). A type that is not reachable from a [JsonSerializable] of the contexts the generator uses (or the built-in primitives) fails every call that needs it at run time.",
            helpLinkUri: HelpLinkBase + JsonTypeNotRegisteredId + ".md");

        public static readonly DiagnosticDescriptor JsonTypeNotAotSafe = new DiagnosticDescriptor(
            JsonTypeNotAotSafeId,
            "Payload type cannot be serialized AOT-safely",
            "{0} of '{1}' has type '{2}'{3}: {4}; use {5}",
            JsonCategory,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Source-generated System.Text.Json needs the exact type of every value: object, dynamic, delegates, streams, and interfaces or abstract classes without polymorphism attributes either fail or lose data without reflection.",
            helpLinkUri: HelpLinkBase + JsonTypeNotAotSafeId + ".md");

        public static readonly DiagnosticDescriptor InvalidJsonContext = new DiagnosticDescriptor(
            InvalidJsonContextId,
            "[IpcJsonContext] names a type that is not a usable JsonSerializerContext",
            "[IpcJsonContext(typeof({0}))] is ignored because {1}; name a non-generic, non-abstract, accessible class deriving from JsonSerializerContext",
            JsonCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "The generator takes payload metadata from the contexts [assembly: IpcJsonContext] names and silently skips anything else.",
            helpLinkUri: HelpLinkBase + InvalidJsonContextId + ".md");

        public static readonly DiagnosticDescriptor NotAContractTypeArgument = new DiagnosticDescriptor(
            NotAContractTypeArgumentId,
            "Type argument is not a contract of the required kind",
            "{0}<{1}> needs {2}, but '{1}' {3}; pass {2} (Proxy and Handle take request contracts, Publisher and Subscribe event contracts)",
            UsageCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Proxy<T> and Handle<T> need a [RequestContract] interface; Publisher<T> and Subscribe<T> need an [EventContract] interface. Anything else throws IpcConfigurationException at run time.",
            helpLinkUri: HelpLinkBase + NotAContractTypeArgumentId + ".md");

        public static readonly DiagnosticDescriptor WeakDelegateSubscription = new DiagnosticDescriptor(
            WeakDelegateSubscriptionId,
            "Weak subscription to an object nothing else references",
            "{0} is subscribed with weak: true, but nothing else references it, so it can be collected at the next GC and the subscription silently stops; keep it in a field or subscribe strongly and dispose the returned token",
            UsageCategory,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Weak subscriptions hold the handler through a WeakReference. A lambda, method group, local function or new object created in the call is referenced by nothing else, so it can be collected at the next GC (a lambda that captures nothing is cached by the compiler and never collected instead).",
            helpLinkUri: HelpLinkBase + WeakDelegateSubscriptionId + ".md");

        public static readonly DiagnosticDescriptor NotInBaseline = new DiagnosticDescriptor(
            NotInBaselineId,
            "Contract is not recorded in the contract baseline",
            "{0} is not recorded in contracts.shipped.txt or contracts.unshipped.txt{1}; add it to contracts.unshipped.txt",
            BaselineCategory,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "With a contract baseline (contracts.shipped.txt / contracts.unshipped.txt in AdditionalFiles), every contract and method is recorded with its wire ID and shape, so changes to the wire are reviewed.",
            helpLinkUri: HelpLinkBase + NotInBaselineId + ".md");

        public static readonly DiagnosticDescriptor ShippedRemoved = new DiagnosticDescriptor(
            ShippedRemovedId,
            "Shipped contract or method was removed",
            "Shipped {0} no longer exists; peers built against it will fail with ContractMismatchException. Restore it, or mark its baseline line 'retired' to remove it on purpose.",
            BaselineCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A shipped contract or method is part of the wire protocol that other processes, possibly built from older sources, still call.",
            helpLinkUri: HelpLinkBase + ShippedRemovedId + ".md");

        public static readonly DiagnosticDescriptor ShippedChanged = new DiagnosticDescriptor(
            ShippedChangedId,
            "Shipped contract or method changed its shape",
            "Shipped {0} changed from '{1}' to '{2}'; peers built against the shipped shape will fail with ContractMismatchException. Add a new method or contract with its own alias instead.",
            BaselineCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "Changing a parameter, the result type or the contract kind of a shipped method changes its fingerprint, so peers that shipped with the old shape no longer match.",
            helpLinkUri: HelpLinkBase + ShippedChangedId + ".md");

        public static readonly DiagnosticDescriptor RetiredIdReused = new DiagnosticDescriptor(
            RetiredIdReusedId,
            "Retired wire ID reused",
            "{0} has the wire ID {1}, which the baseline retired ({2}); old peers may still send it, so choose another alias or Id",
            BaselineCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: "A retired contract or method ID stays reserved: a peer built before the retirement may still send it and would reach the new member with the wrong payload.",
            helpLinkUri: HelpLinkBase + RetiredIdReusedId + ".md");

        public static readonly DiagnosticDescriptor MalformedBaseline = new DiagnosticDescriptor(
            MalformedBaselineId,
            "Contract baseline line cannot be read",
            "This line of {0} cannot be read ({1}); correct it to the baseline format or make it a # comment",
            BaselineCategory,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Lines of contracts.shipped.txt and contracts.unshipped.txt have a fixed format (see the help page); unreadable lines are ignored.",
            helpLinkUri: HelpLinkBase + MalformedBaselineId + ".md");
    }
}
