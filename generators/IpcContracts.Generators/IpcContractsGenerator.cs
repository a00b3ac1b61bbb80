using System;
using System.Threading;
using IpcContracts.Generators.Emitting;
using IpcContracts.Generators.Models;
using IpcContracts.Generators.Parsing;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Generators
{
    /// <summary>
    /// Turns [RequestContract]/[EventContract] interfaces into descriptors, proxies and dispatchers, event contracts
    /// also into listener base classes, and emits the assembly's JSON metadata table and registry. Parsing turns
    /// symbols into equatable models (no symbols cross a pipeline step), so edits that do not change a contract's
    /// shape re-emit nothing. Reports no diagnostics: invalid contracts are skipped, and the analyzers report why
    /// from the same rulebook (Rules/ContractRules.cs).
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class IpcContractsGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var requests = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    KnownNames.RequestContractAttribute,
                    static (node, _) => node is InterfaceDeclarationSyntax,
                    static (ctx, ct) => Parse(ctx, ct))
                .WithTrackingName(TrackingNames.RequestContracts)
                .Where(static m => m is not null)
                .Select(static (m, _) => m!);

            var events = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    KnownNames.EventContractAttribute,
                    static (node, _) => node is InterfaceDeclarationSyntax,
                    static (ctx, ct) => Parse(ctx, ct))
                .WithTrackingName(TrackingNames.EventContracts)
                .Where(static m => m is not null)
                .Select(static (m, _) => m!);

            context.RegisterSourceOutput(requests, static (spc, contract) => ContractEmitter.AddSource(spc, contract));
            context.RegisterSourceOutput(events, static (spc, contract) => ContractEmitter.AddSource(spc, contract));
            // The listener base class of each event contract (ListenerEmitter): its own file, from the same model.
            context.RegisterSourceOutput(events, static (spc, contract) => ListenerEmitter.AddSource(spc, contract));

            var declaredContexts = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    KnownNames.JsonSerializableAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    JsonContextParser.ParseDeclaredContext)
                .WithTrackingName(TrackingNames.DeclaredJsonContexts)
                .Where(static c => c is not null)
                .Select(static (c, _) => c!);

            // [assembly: IpcJsonContext(...)] attributes surface with the compilation unit as their target.
            var namedContexts = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    KnownNames.IpcJsonContextAttribute,
                    static (node, _) => node is CompilationUnitSyntax,
                    JsonContextParser.ParseNamedContexts)
                .WithTrackingName(TrackingNames.NamedJsonContexts);

            var runtimeReferenced = context.CompilationProvider
                .Select(static (c, _) => c.GetTypeByMetadataName(KnownNames.ContractRegistry) is not null)
                .WithTrackingName(TrackingNames.RuntimeReferenced);

            var assembly = requests.Collect()
                .Combine(events.Collect())
                .Combine(namedContexts.Collect())
                .Combine(declaredContexts.Collect())
                .Combine(runtimeReferenced)
                .Select(static (input, _) =>
                {
                    var ((((requestModels, eventModels), named), declared), runtime) = input;
                    return AssemblyModelBuilder.Build(requestModels.AddRange(eventModels), named, declared, runtime);
                })
                .WithTrackingName(TrackingNames.AssemblyModel);

            context.RegisterSourceOutput(assembly, static (spc, model) =>
            {
                if (model is null)
                    return;
                spc.AddSource(JsonTypesEmitter.HintName, SourceText.From(JsonTypesEmitter.Emit(model), System.Text.Encoding.UTF8));
                spc.AddSource(ModuleInitializerEmitter.HintName, SourceText.From(ModuleInitializerEmitter.Emit(model), System.Text.Encoding.UTF8));
            });
        }

        /// <summary>
        /// The contract's model when the rulebook accepts it, else null (skipped). Only the equatable model leaves this
        /// step: the check's violations and symbol-holding facts are the analyzers' business.
        /// </summary>
        private static ContractModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            try
            {
                return context.TargetSymbol is INamedTypeSymbol type
                    ? ContractRules.Check(type, context.SemanticModel.Compilation, cancellationToken).Model
                    : null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Last line of defence for malformed code we did not foresee: skip rather than fail the build.
                return null;
            }
        }
    }
}
