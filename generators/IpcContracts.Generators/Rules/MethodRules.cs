using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using IpcContracts.Analyzers;
using IpcContracts.Generators.Models;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// The rules for one contract method: return shape, parameters (by value, one trailing CancellationToken, payload
    /// types), and the method's wire identity and canonical signature. A method that breaks none gets its
    /// <see cref="MethodModel"/>.
    /// </summary>
    internal static class MethodRules
    {
        private static readonly SymbolDisplayFormat ShortTypeFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        public static MethodFacts Check(IMethodSymbol method, bool own, ContractCheck check, Compilation compilation, CancellationToken cancellationToken)
        {
            var syntax = own ? method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as MethodDeclarationSyntax : null;
            string alias = method.Name;
            bool hasAlias = false;
            uint explicitId = 0;
            AttributeData? contractMethod = null;
            foreach (var attribute in method.GetAttributes())
            {
                if (AttributeReader.IsAttribute(attribute, KnownNames.ContractMethodAttribute))
                {
                    contractMethod = attribute;
                    var (a, i) = AttributeReader.ReadAliasAndId(attribute);
                    if (a is not null)
                    {
                        alias = a;
                        hasAlias = true;
                    }
                    explicitId = i;
                }
            }

            var facts = new MethodFacts(method, Display(method, own), alias, hasAlias, explicitId != 0 ? explicitId : Fnv1a.Hash32(alias), explicitId != 0,
                own ? RuleLocation.From(method.Locations.FirstOrDefault(l => l.IsInSource)) : null);
            new Rules(method, facts, check, syntax, own, contractMethod, compilation, cancellationToken).Run();
            return facts;
        }

        /// <summary>How messages name a member: its name, or <c>IBase.Name</c> when inherited.</summary>
        public static string Display(ISymbol member, bool own) =>
            own ? member.Name : member.ContainingType.Name + "." + member.Name;

        public static string ParameterList(IMethodSymbol method) =>
            "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(ShortTypeFormat))) + ")";

        /// <summary>
        /// <c>R:</c>/<c>E:</c>, the result type (<c>void</c> when there is no value), then the parameters (all but the
        /// CancellationToken) as <c>Type name</c> joined by ',' in parentheses; types use <see cref="TypeNames.CanonicalFormat"/>.
        /// A trailing optional payload parameter (<paramref name="optional"/>, see <see cref="TrailingOptional"/>) is
        /// <c>Type name=</c>: the runtime's shape check lets a peer lack it (docs/protocol.md 4.2, docs/versioning.md).
        /// Example: <c>R:Shop.StockLevel(string sku)</c>, <c>R:int(string sku,int limit=)</c>.
        /// </summary>
        public static string Signature(bool isEvent, ITypeSymbol? result, IMethodSymbol method, ICollection<IParameterSymbol> optional)
        {
            var sb = new StringBuilder(isEvent ? "E:" : "R:");
            sb.Append(result is null ? "void" : TypeNames.Canonical(result)).Append('(');
            bool first = true;
            foreach (var p in method.Parameters)
            {
                if (KnownNames.Is(p.Type, KnownNames.CancellationToken))
                    continue;
                if (!first)
                    sb.Append(',');
                sb.Append(TypeNames.Canonical(p.Type)).Append(' ').Append(p.Name);
                if (optional.Contains(p))
                    sb.Append('=');
                first = false;
            }
            return sb.Append(')').ToString();
        }

        /// <summary>
        /// The optional parameters at the end of the signature that are members of the argument object
        /// (<paramref name="payload"/>): only those can be missing on one side without changing what travels, since a
        /// receiver skips an unknown member and gives a missing one its declared default. The scan stops at the first
        /// parameter that is required or not a payload parameter (an IProgress&lt;T&gt; or an argument stream is a
        /// channel of the call, never optional to the shape check), so no parameter before a required one is marked.
        /// </summary>
        public static HashSet<IParameterSymbol> TrailingOptional(IMethodSymbol method, ICollection<string> payload)
        {
            var optional = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
            for (int i = method.Parameters.Length - 1; i >= 0; i--)
            {
                var p = method.Parameters[i];
                if (KnownNames.Is(p.Type, KnownNames.CancellationToken))
                    continue;
                if (!p.IsOptional || !payload.Contains(p.Name))
                    break;
                optional.Add(p);
            }
            return optional;
        }

        private sealed class Rules
        {
            private readonly IMethodSymbol _method;
            private readonly MethodFacts _facts;
            private readonly ContractCheck _check;
            private readonly MethodDeclarationSyntax? _syntax;
            private readonly bool _own;
            private readonly AttributeData? _contractMethod;
            private readonly bool _isEvent;
            private readonly Compilation _compilation;
            private readonly CancellationToken _cancellationToken;
            private bool _valid = true;

            /// <summary>Set by <see cref="CheckReturn"/> for a Task/ValueTask of Stream or PipeReader.</summary>
            private ByteStreamKind _resultBytes;

            public Rules(IMethodSymbol method, MethodFacts facts, ContractCheck check, MethodDeclarationSyntax? syntax, bool own, AttributeData? contractMethod,
                Compilation compilation, CancellationToken cancellationToken)
            {
                _contractMethod = contractMethod;
                _method = method;
                _facts = facts;
                _check = check;
                _syntax = syntax;
                _own = own;
                _isEvent = check.Identity!.IsEvent;
                _compilation = compilation;
                _cancellationToken = cancellationToken;
            }

            /// <summary>Where to report about the whole method: its name, or the contract when inherited.</summary>
            private RuleLocation? MethodLocation => _facts.Location ?? _check.Location;

            private void Report(RuleViolation violation)
            {
                _check.Add(violation);
                _valid = false;
            }

            /// <summary>A compiler error (a type that does not resolve) makes the method invalid without a report of ours.</summary>
            private void CompilerError()
            {
                _check.HasErrors = true;
                _valid = false;
            }

            public void Run()
            {
                if (_method.IsGenericMethod)
                {
                    // Its parameter types involve its own type parameters; reporting those as well would only repeat this.
                    Report(RuleViolation.Create(DiagnosticDescriptors.GenericMethodId, MethodLocation, _facts.Display));
                    return;
                }
                if (_method.IsVararg)
                {
                    var arglist = _syntax?.ParameterList.Parameters.FirstOrDefault(p => p.Identifier.IsKind(SyntaxKind.ArgListKeyword));
                    Report(RuleViolation.Create(DiagnosticDescriptors.ByRefParameterId, RuleLocation.From(arglist) ?? MethodLocation, "__arglist", _facts.Display, "a variable argument list"));
                }

                var (returns, result) = CheckReturn();
                var parameters = CheckParameters(out string? token, out var progress, out var argumentStream);
                int timeout = CheckTimeout();
                if (!_valid)
                    return;

                // A stream's signature names IAsyncEnumerable<T> itself, so a stream and a single T never share a fingerprint.
                var optional = TrailingOptional(_method, new HashSet<string>(parameters.Select(p => p.JsonName)));
                string signature = Signature(_isEvent, returns == ReturnShape.Stream ? _method.ReturnType : result, _method, optional);
                _facts.Model = new MethodModel(
                    TypeNames.EscapeIdentifier(_method.Name),
                    MemberSuffix: _method.Name,
                    TypeNames.Code(_method.ContainingType),
                    _facts.Alias,
                    _facts.Id,
                    returns,
                    result is null ? null : TypeNames.ToTypeRef(result),
                    parameters.ToEquatableArray(),
                    token,
                    signature,
                    Fnv1a.Hash64(signature),
                    progress,
                    argumentStream,
                    _resultBytes,
                    timeout);
            }

            // ---- call timeout ----

            /// <summary>The named argument of [ContractMethod] that sets the method's deadline.</summary>
            private const string TimeoutArgument = "TimeoutMilliseconds";

            /// <summary>
            /// IPC0032 for [ContractMethod(TimeoutMilliseconds = ...)] with a value no deadline can have (0 would end every
            /// call before it is sent; a negative number other than Timeout.Infinite means nothing) or on an event (no caller
            /// waits for one). Returns the valid value, or 0 when the argument is not given (the connection's default).
            /// The value is not part of the signature: it is the caller's deadline, not the wire shape, so changing it
            /// never breaks a peer.
            /// </summary>
            private int CheckTimeout()
            {
                if (_contractMethod is null)
                    return 0;
                foreach (var named in _contractMethod.NamedArguments)
                {
                    if (named.Key != TimeoutArgument || named.Value.Value is not int milliseconds)
                        continue; // a value of another type is the compiler's error
                    string? why = null, instead = null;
                    if (_isEvent)
                    {
                        why = "does nothing, because an event is published to its subscribers and no caller waits for it";
                        instead = "make the method part of a [RequestContract] if the caller should wait";
                    }
                    else if (milliseconds == 0)
                    {
                        why = "would time every call out before it is sent (leaving it out keeps IpcOptions.DefaultCallTimeout)";
                        instead = "use a positive number of milliseconds, or Timeout.Infinite for no deadline";
                    }
                    else if (milliseconds < 0 && milliseconds != -1)
                    {
                        why = "is negative, and the only negative value with a meaning is Timeout.Infinite (-1)";
                        instead = "use a positive number of milliseconds, or Timeout.Infinite for no deadline";
                    }
                    if (why is null)
                        return milliseconds;
                    Report(RuleViolation.Create(DiagnosticDescriptors.InvalidCallTimeoutId, TimeoutLocation() ?? MethodLocation,
                        milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), _facts.Display, why, instead!));
                    return 0;
                }
                return 0;
            }

            /// <summary>The <c>TimeoutMilliseconds = ...</c> argument as written on the method's own declaration, or null.</summary>
            private RuleLocation? TimeoutLocation()
            {
                if (!_own || _contractMethod?.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) is not AttributeSyntax attribute)
                    return null;
                var argument = attribute.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == TimeoutArgument);
                return RuleLocation.From(argument);
            }

            // ---- return shape ----

            private (ReturnShape Shape, ITypeSymbol? Result) CheckReturn()
            {
                var location = RuleLocation.From(_syntax?.ReturnType) ?? MethodLocation;
                var returnType = _method.ReturnType;
                string returnText = (_method.ReturnsByRef ? "ref " : _method.ReturnsByRefReadonly ? "ref readonly " : "") + returnType.ToDisplayString(ShortTypeFormat);

                if (_method.ReturnsByRef || _method.ReturnsByRefReadonly)
                {
                    ReportReturn(location, returnText);
                    return default;
                }
                if (_method.ReturnsVoid)
                {
                    if (!_isEvent)
                        ReportReturn(location, returnText);
                    return (ReturnShape.Void, null);
                }
                if (!_isEvent && KnownNames.Is(returnType, KnownNames.AsyncEnumerable))
                {
                    var item = ((INamedTypeSymbol)returnType).TypeArguments[0];
                    if (!CheckPayload(item, StreamItemRole, TypeArgumentLocation(_syntax?.ReturnType) ?? location))
                        return default;
                    return (ReturnShape.Stream, item);
                }
                if (KnownNames.Is(returnType, KnownNames.TasksNamespace + ".Task"))
                    return (ReturnShape.Task, null);
                if (KnownNames.Is(returnType, KnownNames.TasksNamespace + ".ValueTask"))
                    return (ReturnShape.ValueTask, null);

                bool isTask = KnownNames.Is(returnType, KnownNames.TasksNamespace + ".Task`1");
                bool isValueTask = KnownNames.Is(returnType, KnownNames.TasksNamespace + ".ValueTask`1");
                if (_isEvent || !(isTask || isValueTask))
                {
                    if (returnType.TypeKind == TypeKind.Error)
                        CompilerError(); // the compiler reports the missing type
                    else
                        ReportReturn(location, returnText);
                    return default;
                }

                var result = ((INamedTypeSymbol)returnType).TypeArguments[0];
                var resultLocation = TypeArgumentLocation(_syntax?.ReturnType) ?? location;
                if (KnownNames.Is(result, KnownNames.AsyncEnumerable))
                {
                    ReportStreamInTask(location, resultLocation, (INamedTypeSymbol)result);
                    return default;
                }
                // Bytes of any length: awaiting the call gives the Stream or PipeReader once the first chunk (or the handler's
                // error) has arrived, and the caller reads the rest as it comes. Not a JSON value, so not a payload.
                _resultBytes = BinaryTypes.StreamOf(result);
                if (_resultBytes != ByteStreamKind.None)
                    return (isTask ? ReturnShape.TaskOfT : ReturnShape.ValueTaskOfT, result);
                if (!CheckPayload(result, "The result", resultLocation))
                    return default;
                return (isTask ? ReturnShape.TaskOfT : ReturnShape.ValueTaskOfT, result);
            }

            /// <summary>How messages name the <c>T</c> of a stream result.</summary>
            private const string StreamItemRole = "The stream item";

            /// <summary>
            /// IPC0028: <c>Task&lt;IAsyncEnumerable&lt;T&gt;&gt;</c> (the StreamJsonRpc shape). The item gets the payload rule
            /// as it would unwrapped, and the code fix (<see cref="DiagnosticDescriptors.UnwrapFixProperty"/>) is offered only
            /// when the unwrapped method's result is valid; a type that does not resolve is the compiler's to report.
            /// </summary>
            private void ReportStreamInTask(RuleLocation? location, RuleLocation? streamLocation, INamedTypeSymbol stream)
            {
                var item = stream.TypeArguments[0];
                if (PayloadRules.Judge(item, _compilation, out _) == PayloadVerdict.CompilerError)
                {
                    CompilerError();
                    return;
                }
                bool itemValid = CheckPayload(item, StreamItemRole, TypeArgumentLocation(GenericArgument(_syntax?.ReturnType)) ?? streamLocation);
                var violation = RuleViolation.Create(DiagnosticDescriptors.StreamInTaskId, location, _facts.Display,
                    _method.ReturnType.ToDisplayString(ShortTypeFormat), stream.ToDisplayString(ShortTypeFormat));
                Report(itemValid ? violation.WithProperty(DiagnosticDescriptors.UnwrapFixProperty, "true") : violation);
            }

            /// <summary>
            /// IPC0005/IPC0006. The suggestion (and the code fix, through <see cref="DiagnosticDescriptors.ReturnFixProperty"/>)
            /// is only ever a shape the rules accept: a type that cannot be a payload is not offered wrapped in Task&lt;T&gt;.
            /// </summary>
            private void ReportReturn(RuleLocation? location, string returnText)
            {
                var returnType = _method.ReturnType;
                if (_isEvent)
                {
                    Report(RuleViolation.Create(DiagnosticDescriptors.EventReturnTypeId, location, _facts.Display, returnText));
                    return;
                }
                if (!_method.ReturnsByRef && !_method.ReturnsByRefReadonly && !BinaryTypes.IsByteStream(returnType) && PayloadRules.Streaming(returnType) is { } streaming)
                {
                    // Not "wrap it in Task<T>": that compiles and then fails at run time.
                    Report(RuleViolation.Create(DiagnosticDescriptors.NotSupportedYetId, location, "The result", _facts.Display, returnType.ToDisplayString(ShortTypeFormat),
                        streaming.What, streaming.Instead));
                    return;
                }

                string suggestion;
                string? fix = null;
                string? why = null;
                var verdict = PayloadVerdict.Ok;
                if (returnType.SpecialType == SpecialType.System_Void)
                {
                    suggestion = "Task";
                    fix = DiagnosticDescriptors.ReturnFixTask;
                }
                else if (PayloadRules.IsTaskLike(returnType) ||
                         (KnownNames.Is(returnType, KnownNames.AsyncEnumerable) && PayloadRules.IsPayload(((INamedTypeSymbol)returnType).TypeArguments[0], _compilation)))
                {
                    suggestion = returnType.ToDisplayString(ShortTypeFormat) + " (without ref)";
                    fix = DiagnosticDescriptors.ReturnFixDropRef;
                }
                else if (BinaryTypes.IsByteStream(returnType) || (verdict = PayloadRules.Judge(returnType, _compilation, out why)) == PayloadVerdict.Ok)
                {
                    // A bare Stream or PipeReader is no payload, but Task<Stream> and Task<PipeReader> are valid results.
                    suggestion = "Task<" + returnType.ToDisplayString(ShortTypeFormat) + ">";
                    fix = DiagnosticDescriptors.ReturnFixWrap;
                }
                else
                {
                    suggestion = "Task, or Task<T> of a type that can cross the process boundary ('" + returnType.ToDisplayString(ShortTypeFormat) + "' " +
                                 (verdict == PayloadVerdict.NotSupportedYet ? "is one of the " + why + ", which are not supported in contracts" : why) + ")";
                }
                var violation = RuleViolation.Create(DiagnosticDescriptors.RequestReturnTypeId, location, _facts.Display, returnText, suggestion);
                Report(fix is null ? violation : violation.WithProperty(DiagnosticDescriptors.ReturnFixProperty, fix));
            }

            private static RuleLocation? TypeArgumentLocation(TypeSyntax? type) => RuleLocation.From(GenericArgument(type));

            /// <summary>The single type argument of <c>X&lt;T&gt;</c> or <c>X&lt;T&gt;?</c> as written (through qualifiers and aliases), or null.</summary>
            private static TypeSyntax? GenericArgument(TypeSyntax? type)
            {
                if (type is NullableTypeSyntax nullable)
                    return GenericArgument(nullable.ElementType);
                var name = type switch
                {
                    QualifiedNameSyntax q => q.Right,
                    AliasQualifiedNameSyntax a => a.Name,
                    SimpleNameSyntax s => s,
                    _ => null,
                };
                return name is GenericNameSyntax { TypeArgumentList.Arguments.Count: 1 } g ? g.TypeArgumentList.Arguments[0] : null;
            }

            // ---- parameters ----

            private List<ParameterModel> CheckParameters(out string? tokenIdentifier, out ProgressModel? progress, out ArgumentStreamModel? argumentStream)
            {
                tokenIdentifier = null;
                progress = null;
                argumentStream = null;
                var models = new List<ParameterModel>(_method.Parameters.Length);
                int firstToken = -1;
                IParameterSymbol? firstProgress = null;
                IParameterSymbol? firstStream = null;
                IParameterSymbol? firstBinary = null;
                for (int i = 0; i < _method.Parameters.Length; i++)
                {
                    var p = _method.Parameters[i];
                    var parameterSyntax = _own ? p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as ParameterSyntax : null;
                    var location = RuleLocation.From(parameterSyntax) ?? MethodLocation;

                    if (p.RefKind != RefKind.None)
                    {
                        string how = p.RefKind switch
                        {
                            RefKind.Out => "an 'out' parameter",
                            RefKind.In => "an 'in' parameter",
                            RefKind.Ref => "a 'ref' parameter",
                            _ => "a 'ref readonly' parameter",
                        };
                        Report(RuleViolation.Create(DiagnosticDescriptors.ByRefParameterId, location, p.Name, _facts.Display, how));
                        continue;
                    }
                    if (KnownNames.Is(p.Type, KnownNames.CancellationToken))
                    {
                        // Only one, and only last: it is the call's token, not part of the payload.
                        if (firstToken < 0)
                        {
                            firstToken = i;
                            tokenIdentifier = TypeNames.EscapeIdentifier(p.Name);
                        }
                        else
                        {
                            Report(RuleViolation.Create(DiagnosticDescriptors.MultipleCancellationTokensId, location, _facts.Display, p.Name));
                        }
                        continue;
                    }
                    if (KnownNames.Is(p.Type, KnownNames.AsyncEnumerable) || BinaryTypes.IsByteStream(p.Type))
                    {
                        // Not a member of the argument object: the caller's items (or its bytes, as chunks) follow the Request,
                        // and the handler reads the call's own.
                        if (CheckArgumentStream(p, firstStream, parameterSyntax, location) is { } item)
                            argumentStream = new ArgumentStreamModel(TypeNames.EscapeIdentifier(p.Name), i, TypeNames.Code(p.Type), TypeNames.ToTypeRef(item),
                                BinaryTypes.StreamOf(p.Type));
                        firstStream ??= p;
                        continue;
                    }
                    if (KnownNames.Is(p.Type, KnownNames.Progress))
                    {
                        // Not a member of the argument object: it stays on the caller's side and the handler gets the call's own.
                        if (CheckProgress(p, firstProgress, parameterSyntax, location) is { } value)
                            progress = new ProgressModel(TypeNames.EscapeIdentifier(p.Name), i, TypeNames.Code(p.Type), TypeNames.ToTypeRef(value));
                        firstProgress ??= p;
                        continue;
                    }
                    if (!CheckPayload(p.Type, "Parameter '" + p.Name + "'", RuleLocation.From(parameterSyntax?.Type) ?? location))
                        continue;
                    if (BinaryTypes.IsBinary(p.Type))
                    {
                        // Its bytes travel raw after the argument object, in the frame's one binary section.
                        if (firstBinary is not null)
                        {
                            Report(RuleViolation.Create(DiagnosticDescriptors.MultipleBinaryParametersId, location, p.Name, _facts.Display,
                                p.Type.ToDisplayString(ShortTypeFormat), firstBinary.Name));
                            continue;
                        }
                        firstBinary = p;
                    }
                    models.Add(new ParameterModel(TypeNames.EscapeIdentifier(p.Name), p.Name, TypeNames.ToTypeRef(p.Type), ParameterDefaults.Code(p)));
                }

                if (firstToken >= 0)
                {
                    for (int i = firstToken + 1; i < _method.Parameters.Length; i++)
                    {
                        if (!KnownNames.Is(_method.Parameters[i].Type, KnownNames.CancellationToken))
                        {
                            var token = _method.Parameters[firstToken];
                            var tokenSyntax = _own ? token.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) : null;
                            Report(RuleViolation.Create(DiagnosticDescriptors.CancellationTokenNotLastId, RuleLocation.From(tokenSyntax) ?? MethodLocation, token.Name, _facts.Display));
                            break;
                        }
                    }
                }
                return models;
            }

            /// <summary>
            /// IPC0029 for an IProgress&lt;T&gt; parameter where no caller receives its reports (an event), where the result
            /// already reports (a stream, or the IPC0028 shape that will become one) or after a first one; otherwise the
            /// payload rule for <c>T</c>, which the reports carry. Returns <c>T</c> when the parameter is valid. The index
            /// the model records is the parameter's own: a token before it is IPC0011, so it is never counted.
            /// </summary>
            private ITypeSymbol? CheckProgress(IParameterSymbol p, IParameterSymbol? firstProgress, ParameterSyntax? syntax, RuleLocation? location)
            {
                string? why = null, instead = null;
                if (_isEvent)
                {
                    why = "an event method has no caller waiting for it to finish, so no one would receive its reports";
                    instead = "publish progress as an event of its own";
                }
                else if (ReturnsStream())
                {
                    why = "the method returns IAsyncEnumerable<T>, whose items already reach the caller while the call runs";
                    instead = "yield progress as items of the stream, or return a task to keep the IProgress<T>";
                }
                else if (ReturnedByteStream() is { } bytes)
                {
                    // A Stream result is a stream call on the wire, which carries no progress reports.
                    why = "the method returns a " + bytes + ", whose bytes already reach the caller while the call runs";
                    instead = "count the bytes as the caller reads them, or return a task of a value to keep the IProgress<T>";
                }
                else if (firstProgress is not null)
                {
                    why = "'" + firstProgress.Name + "' already reports progress, and a call has one progress channel";
                    instead = "report one type that carries every value";
                }
                if (why is not null)
                {
                    Report(RuleViolation.Create(DiagnosticDescriptors.ProgressNotAllowedId, location, p.Name, _facts.Display,
                        p.Type.ToDisplayString(ShortTypeFormat), why, instead!));
                    return null;
                }

                var value = ((INamedTypeSymbol)p.Type).TypeArguments[0];
                var valueLocation = TypeArgumentLocation(syntax?.Type) ?? RuleLocation.From(syntax?.Type) ?? location;
                return CheckPayload(value, "The progress value of parameter '" + p.Name + "'", valueLocation) ? value : null;
            }

            /// <summary>
            /// IPC0030 for a stream parameter (IAsyncEnumerable&lt;T&gt;, Stream or PipeReader) on an event (no call for its items
            /// to travel in) or after a first one (a call carries one argument stream); otherwise the payload rule for <c>T</c>,
            /// which the items carry. An IProgress&lt;T&gt; parameter may stand next to it (its reports travel the other way;
            /// <see cref="CheckProgress"/> judges it). Returns the item type when the parameter is valid: <c>T</c>, or
            /// <c>ReadOnlyMemory&lt;byte&gt;</c> for the chunks of a byte stream. The return shape is judged on its own: a
            /// stream parameter goes with a task or a stream result alike.
            /// </summary>
            private ITypeSymbol? CheckArgumentStream(IParameterSymbol p, IParameterSymbol? firstStream, ParameterSyntax? syntax, RuleLocation? location)
            {
                string? why = null, instead = null;
                bool bytes = BinaryTypes.IsByteStream(p.Type);
                if (_isEvent)
                {
                    why = "an event is published to every subscriber without a call for the " + (bytes ? "bytes" : "items") + " to travel in";
                    instead = bytes ? "pass the bytes as one byte[] parameter, or make the method a request"
                        : "publish each item as an event of its own, or make the method a request";
                }
                else if (firstStream is not null)
                {
                    why = "'" + firstStream.Name + "' is already the method's stream parameter, and a call carries one argument stream";
                    instead = bytes ? "pass these bytes as a byte[] parameter, or make two calls"
                        : "send one stream of a type that carries both kinds of item, or make two calls";
                }
                if (why is not null)
                {
                    Report(RuleViolation.Create(DiagnosticDescriptors.StreamParameterNotAllowedId, location, p.Name, _facts.Display,
                        p.Type.ToDisplayString(ShortTypeFormat), why, instead!));
                    return null;
                }

                if (bytes)
                {
                    // The chunks ByteStreams cuts the bytes into: binary stream items, with no JSON metadata to check.
                    var memory = _compilation.GetTypeByMetadataName(KnownNames.ReadOnlyMemory);
                    if (memory is null)
                    {
                        CompilerError(); // no System.ReadOnlyMemory<T>: not a framework generated code can target
                        return null;
                    }
                    return memory.Construct(_compilation.GetSpecialType(SpecialType.System_Byte));
                }
                var item = ((INamedTypeSymbol)p.Type).TypeArguments[0];
                var itemLocation = TypeArgumentLocation(syntax?.Type) ?? RuleLocation.From(syntax?.Type) ?? location;
                return CheckPayload(item, "The stream item of parameter '" + p.Name + "'", itemLocation) ? item : null;
            }

            /// <summary>IAsyncEnumerable&lt;T&gt;, or Task/ValueTask of one (IPC0028 on its own, and a stream once fixed).</summary>
            private bool ReturnsStream()
            {
                var type = _method.ReturnType;
                if (_method.ReturnsByRef || _method.ReturnsByRefReadonly)
                    return false;
                if (KnownNames.Is(type, KnownNames.AsyncEnumerable))
                    return true;
                return PayloadRules.IsTaskLike(type) && type is INamedTypeSymbol { TypeArguments.Length: 1 } task &&
                       KnownNames.Is(task.TypeArguments[0], KnownNames.AsyncEnumerable);
            }

            /// <summary>"Stream" or "PipeReader" for a Task/ValueTask of one (a valid byte stream result), else null.</summary>
            private string? ReturnedByteStream()
            {
                if (_method.ReturnsByRef || _method.ReturnsByRefReadonly || !PayloadRules.IsTaskLike(_method.ReturnType) ||
                    _method.ReturnType is not INamedTypeSymbol { TypeArguments.Length: 1 } task)
                    return null;
                return BinaryTypes.StreamOf(task.TypeArguments[0]) switch
                {
                    ByteStreamKind.Stream => "Stream",
                    ByteStreamKind.PipeReader => "PipeReader",
                    _ => null,
                };
            }

            /// <summary>The payload rule for a parameter or the result; a payload that passes is recorded for the JSON checks.</summary>
            private bool CheckPayload(ITypeSymbol type, string role, RuleLocation? location)
            {
                switch (PayloadRules.Judge(type, _compilation, out string? reason, out var streaming))
                {
                    case PayloadVerdict.Ok:
                        // The JSON checks (IPC0017, IPC0018) are for the user's contexts; generated code takes the metadata of
                        // the binary types from the runtime's BinaryJson.
                        if (!BinaryTypes.IsBinary(type))
                            _check.Payloads.Add(new PayloadUse(type, role, _facts, location));
                        return true;
                    case PayloadVerdict.CompilerError:
                        CompilerError();
                        return false;
                    case PayloadVerdict.NotSupportedYet:
                        Report(RuleViolation.Create(DiagnosticDescriptors.NotSupportedYetId, location, role, _facts.Display, type.ToDisplayString(ShortTypeFormat),
                            streaming!.What, streaming.Instead));
                        return false;
                    default:
                        Report(RuleViolation.Create(DiagnosticDescriptors.UnsupportedTypeId, location, role, _facts.Display, type.ToDisplayString(ShortTypeFormat), reason!));
                        return false;
                }
            }
        }
    }
}
