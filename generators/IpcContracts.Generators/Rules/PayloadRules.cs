using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Rules
{
    /// <summary>What <see cref="PayloadRules.Judge"/> decided about a parameter or result type.</summary>
    internal enum PayloadVerdict
    {
        /// <summary>Travels as a JSON value; generated code can name it.</summary>
        Ok,

        /// <summary>The type does not resolve: the compiler reports it, the rules add nothing.</summary>
        CompilerError,

        /// <summary>Cannot cross the process boundary at all (IPC0008).</summary>
        Unsupported,

        /// <summary>
        /// A stream, progress or byte stream where contracts do not carry it (IPC0027): nested in another type, the items of
        /// a stream, a type derived from Stream or PipeReader, or a PipeWriter.
        /// </summary>
        NotSupportedYet,
    }

    /// <summary>
    /// The payload rule: which types can be a parameter or result of a contract method. One walk decides and explains,
    /// so the generator's "skip" and the analyzers' message can never disagree.
    /// </summary>
    internal static class PayloadRules
    {
        public static bool IsPayload(ITypeSymbol type, Compilation compilation) => Judge(type, compilation, out _) == PayloadVerdict.Ok;

        /// <param name="reason">
        /// For <see cref="PayloadVerdict.Unsupported"/>, the end of "type 'X', which ...";
        /// for <see cref="PayloadVerdict.NotSupportedYet"/>, what kind of stream it is (<see cref="StreamingMisuse.What"/>).
        /// </param>
        public static PayloadVerdict Judge(ITypeSymbol type, Compilation compilation, out string? reason) =>
            Judge(type, compilation, out reason, out _);

        /// <param name="streaming">For <see cref="PayloadVerdict.NotSupportedYet"/>, the streaming type found and what to do instead.</param>
        public static PayloadVerdict Judge(ITypeSymbol type, Compilation compilation, out string? reason, out StreamingMisuse? streaming)
        {
            reason = null;
            streaming = null;
            if (ContainsErrorType(type))
                return PayloadVerdict.CompilerError;
            return Walk(type, compilation, out reason, out streaming);
        }

        private static PayloadVerdict Walk(ITypeSymbol type, Compilation compilation, out string? reason, out StreamingMisuse? streaming)
        {
            streaming = Streaming(type);
            reason = streaming?.What;
            if (streaming is not null)
                return PayloadVerdict.NotSupportedYet;
            if (type.IsRefLikeType)
                return Unsupported("is a ref struct and cannot leave the stack", out reason);
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return Walk(array.ElementType, compilation, out reason, out streaming);
                case IDynamicTypeSymbol:
                    // The generated JsonTypeInfo<dynamic> would not even compile (CS8716).
                    return Unsupported("has no System.Text.Json metadata", out reason);
                case INamedTypeSymbol named:
                    if (named.IsUnboundGenericType)
                        return Unsupported("is an open generic type", out reason);
                    if (named.SpecialType == SpecialType.System_Void)
                        return Unsupported("is void", out reason);
                    if (named.IsStatic)
                        return Unsupported("is a static class", out reason);
                    if (!TypeChecks.IsReachable(named, compilation))
                        return Unsupported("is private or protected, so generated code cannot name it", out reason);
                    if (CannotCarry(named) is { } why)
                        return Unsupported(why, out reason);
                    // Type arguments of the type and of every type containing it (Outer<int>.Inner) must be payloads too.
                    for (var t = named; t is not null; t = t.ContainingType)
                    {
                        foreach (var argument in t.TypeArguments)
                        {
                            var verdict = Walk(argument, compilation, out reason, out streaming);
                            if (verdict == PayloadVerdict.Unsupported)
                                reason = "has a type argument that " + reason;
                            if (verdict != PayloadVerdict.Ok)
                                return verdict;
                        }
                    }
                    return PayloadVerdict.Ok;
                case IPointerTypeSymbol:
                    return Unsupported("is a pointer", out reason);
                case IFunctionPointerTypeSymbol:
                    return Unsupported("is a function pointer", out reason);
                case ITypeParameterSymbol:
                    return Unsupported("is a type parameter", out reason);
                default:
                    return Unsupported("cannot be serialized", out reason);
            }
        }

        private static PayloadVerdict Unsupported(string why, out string? reason)
        {
            reason = why;
            return PayloadVerdict.Unsupported;
        }

        /// <summary>
        /// Types that name-check and compile as payloads but fail when the call runs: System.Text.Json refuses them
        /// (delegates, Type, IntPtr) or they are not values (tasks, tokens). Rejecting them here is what keeps a clean
        /// build from failing at run time.
        /// </summary>
        private static string? CannotCarry(INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Delegate || type.SpecialType is SpecialType.System_Delegate or SpecialType.System_MulticastDelegate)
                return "is a delegate and cannot be serialized";
            if (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
                return "is a native-sized integer, which System.Text.Json does not serialize";
            if (KnownNames.Is(type, "System.Type"))
                return "is System.Type, which System.Text.Json does not serialize";
            if (KnownNames.Is(type, KnownNames.CancellationToken))
                return "is a CancellationToken, which is the call's last parameter and never a value";
            if (IsTaskLike(type))
                return "is a task, not a value";
            // Progress<T> (or any class implementing IProgress<T>) passes every other check and would travel as "{}",
            // silently losing the caller's callback: only the interface is the progress parameter.
            if (KnownNames.Is(type, "System.Progress`1") || ImplementsProgress(type))
                return "is a progress callback object, not a value (declare the parameter as IProgress<T> to receive reports)";
            return null;
        }

        private static bool ImplementsProgress(INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Interface) return false; // IProgress<T> itself is judged where it is declared
            foreach (var i in type.AllInterfaces)
            {
                if (KnownNames.Is(i, "System.IProgress`1"))
                    return true;
            }
            return false;
        }

        public static bool IsTaskLike(ITypeSymbol type) =>
            KnownNames.Is(type, KnownNames.TasksNamespace + ".Task") || KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask") ||
            KnownNames.Is(type, KnownNames.TasksNamespace + ".Task`1") || KnownNames.Is(type, KnownNames.TasksNamespace + ".ValueTask`1");

        /// <summary>
        /// The streaming types (values, progress, bytes of any length) where the payload walk meets them, which is never a
        /// place contracts carry them; null for anything else. Their own diagnostic (IPC0027) suggests no wrapper. A request
        /// method's own <c>IAsyncEnumerable&lt;T&gt;</c> result and parameter, its own IProgress&lt;T&gt; parameter, and its own
        /// <c>Stream</c>/<c>PipeReader</c> parameter and <c>Task</c>/<c>ValueTask</c> of one as its result are supported:
        /// MethodRules takes them before the payload rule runs, so any of these that reaches this walk is nested in another type,
        /// the items of a stream, a result in the wrong place, on an event, or a type derived from Stream or PipeReader, which
        /// generated code could not create on the receiving side. <c>PipeWriter</c> is a sink, not a source of bytes: bytes
        /// travel as a source the receiver reads.
        /// </summary>
        public static StreamingMisuse? Streaming(ITypeSymbol type)
        {
            if (KnownNames.Is(type, KnownNames.AsyncEnumerable) || KnownNames.Is(type, "System.Collections.Generic.IAsyncEnumerator`1"))
                return new StreamingMisuse("asynchronous streams (IAsyncEnumerable<T>) other than a request method's own result or parameter",
                    "stream the values through the method's own IAsyncEnumerable<T> result or parameter, or pass them as a list");
            if (KnownNames.Is(type, KnownNames.Progress))
                return new StreamingMisuse("progress reports (IProgress<T>) other than a request method's own parameter",
                    "report through one IProgress<T> parameter of the request method itself, or pass the values as a list");
            for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
            {
                if (KnownNames.Is(t, KnownNames.Stream))
                    return new StreamingMisuse("byte streams (System.IO.Stream) other than a request method's own Stream parameter or Task<Stream> result",
                        "declare Stream itself as the request method's own parameter or Task<Stream> result, or pass the bytes as a byte[]");
                if (KnownNames.Is(t, KnownNames.PipeReader))
                    return new StreamingMisuse("pipe readers (PipeReader) other than a request method's own PipeReader parameter or Task<PipeReader> result",
                        "declare PipeReader itself as the request method's own parameter or Task<PipeReader> result, or pass the bytes as a byte[]");
                if (KnownNames.Is(t, KnownNames.PipeWriter))
                    return new StreamingMisuse("pipe writers (PipeWriter), a sink rather than a source of bytes,",
                        "return the bytes as Task<PipeReader> or Task<Stream> (handler to caller), or take a PipeReader or Stream parameter (caller to handler)");
            }
            return null;
        }

        private static bool ContainsErrorType(ITypeSymbol type) => type switch
        {
            IErrorTypeSymbol => true,
            IArrayTypeSymbol a => ContainsErrorType(a.ElementType),
            IPointerTypeSymbol p => ContainsErrorType(p.PointedAtType),
            INamedTypeSymbol n => n.TypeKind == TypeKind.Error || HasErrorArgument(n) || (n.ContainingType is { } c && ContainsErrorType(c)),
            _ => false,
        };

        private static bool HasErrorArgument(INamedTypeSymbol type)
        {
            foreach (var argument in type.TypeArguments)
            {
                if (ContainsErrorType(argument))
                    return true;
            }
            return false;
        }
    }
}
