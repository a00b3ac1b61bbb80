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

        /// <summary>A nested stream or progress, or a byte stream or pipe type, which contracts do not carry yet (IPC0027).</summary>
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
        /// for <see cref="PayloadVerdict.NotSupportedYet"/>, what kind of stream it is.
        /// </param>
        public static PayloadVerdict Judge(ITypeSymbol type, Compilation compilation, out string? reason)
        {
            reason = null;
            if (ContainsErrorType(type))
                return PayloadVerdict.CompilerError;
            return Walk(type, compilation, out reason);
        }

        private static PayloadVerdict Walk(ITypeSymbol type, Compilation compilation, out string? reason)
        {
            reason = StreamingKind(type);
            if (reason is not null)
                return PayloadVerdict.NotSupportedYet;
            if (type.IsRefLikeType)
                return Unsupported("is a ref struct and cannot leave the stack", out reason);
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return Walk(array.ElementType, compilation, out reason);
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
                            var verdict = Walk(argument, compilation, out reason);
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
        /// The streaming shapes (values, progress, bytes of any length) the runtime cannot carry yet; null for anything
        /// else. Their own diagnostic says "not supported yet" and suggests no wrapper. A request method's
        /// <c>IAsyncEnumerable&lt;T&gt;</c> result and its own IAsyncEnumerable&lt;T&gt; parameter are supported: MethodRules takes
        /// them before the payload rule runs, so any IAsyncEnumerable&lt;T&gt; that reaches this walk sits inside another type. Likewise a request
        /// method's own IProgress&lt;T&gt; parameter is taken before this walk, so one that reaches it is a result or nested.
        /// </summary>
        public static string? StreamingKind(ITypeSymbol type)
        {
            if (KnownNames.Is(type, KnownNames.AsyncEnumerable) || KnownNames.Is(type, "System.Collections.Generic.IAsyncEnumerator`1"))
                return "asynchronous streams (IAsyncEnumerable<T>) other than a request method's own result or parameter";
            if (KnownNames.Is(type, KnownNames.Progress))
                return "progress reports (IProgress<T>) other than a request method's own parameter";
            for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
            {
                if (KnownNames.Is(t, "System.IO.Stream"))
                    return "streams (System.IO.Stream)";
                if (KnownNames.Is(t, "System.IO.Pipelines.PipeReader") || KnownNames.Is(t, "System.IO.Pipelines.PipeWriter"))
                    return "pipes (PipeReader and PipeWriter)";
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
