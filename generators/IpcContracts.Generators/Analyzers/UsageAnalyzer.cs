using System.Collections.Immutable;
using System.Linq;
using IpcContracts.Analyzers.Model;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace IpcContracts.Analyzers
{
    /// <summary>
    /// Calls into the runtime: Proxy/Publisher/Subscribe/Handle with a type argument that is not a contract of the right
    /// kind (IPC0020), and weak subscriptions of objects created in the call itself (IPC0021).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class UsageAnalyzer : DiagnosticAnalyzer
    {
        private enum Needs
        {
            None,
            Request,
            Event,
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            DiagnosticDescriptors.NotAContractTypeArgument,
            DiagnosticDescriptors.WeakDelegateSubscription);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                if (start.Compilation.GetTypeByMetadataName("IpcContracts.IpcConnection") is null)
                    return;
                start.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
            });
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            var type = method.ContainingType;
            if (type is null || type.ContainingNamespace is not { Name: "IpcContracts", ContainingNamespace.IsGlobalNamespace: true })
                return;

            var needs = Requirement(type.Name, method.Name);
            if (needs != Needs.None && method.TypeArguments.Length == 1)
                CheckTypeArgument(context, invocation, method, needs);

            if (method.Name == "Subscribe")
                CheckWeakSubscription(context, invocation);
        }

        private static Needs Requirement(string typeName, string methodName) => (typeName, methodName) switch
        {
            ("IpcClient" or "IpcConnection", "Proxy") => Needs.Request,
            ("IpcEndpointBuilder", "Handle") => Needs.Request,
            ("IpcClient" or "IpcServer" or "IpcConnection", "Publisher") => Needs.Event,
            ("IpcClient" or "IpcServer", "Subscribe") => Needs.Event,
            _ => Needs.None,
        };

        private static void CheckTypeArgument(OperationAnalysisContext context, IInvocationOperation invocation, IMethodSymbol method, Needs needs)
        {
            var argument = method.TypeArguments[0];
            if (argument is ITypeParameterSymbol || argument.TypeKind == TypeKind.Error)
                return; // decided where the type parameter is substituted

            string? problem = null;
            if (argument is not INamedTypeSymbol named || named.TypeKind != TypeKind.Interface)
            {
                problem = "is not an interface";
            }
            else
            {
                int count = ContractIdentity.CountContractAttributes(named, out var attribute, out _);
                if (count == 0)
                    problem = "has neither [RequestContract] nor [EventContract]";
                else if (count == 1 && ContractIdentity.IsEventAttribute(attribute!) != (needs == Needs.Event))
                    problem = needs == Needs.Event ? "is a [RequestContract]" : "is an [EventContract]";
            }
            if (problem is null)
                return;

            string required = needs == Needs.Event ? "an [EventContract] interface" : "a [RequestContract] interface";
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NotAContractTypeArgument, TypeArgumentLocation(invocation),
                method.Name, argument.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), required, problem));
        }

        /// <summary>The written type argument, or the method name when it is inferred.</summary>
        private static Location TypeArgumentLocation(IInvocationOperation invocation)
        {
            if (invocation.Syntax is InvocationExpressionSyntax call)
            {
                SimpleNameSyntax? name = call.Expression switch
                {
                    MemberAccessExpressionSyntax member => member.Name,
                    MemberBindingExpressionSyntax binding => binding.Name,
                    SimpleNameSyntax simple => simple,
                    _ => null,
                };
                if (name is GenericNameSyntax generic && generic.TypeArgumentList.Arguments.Count == 1)
                    return generic.TypeArgumentList.Arguments[0].GetLocation();
                if (name is not null)
                    return name.GetLocation();
            }
            return invocation.Syntax.GetLocation();
        }

        private static void CheckWeakSubscription(OperationAnalysisContext context, IInvocationOperation invocation)
        {
            var weak = invocation.Arguments.FirstOrDefault(a => a.Parameter is { Name: "weak", Type.SpecialType: SpecialType.System_Boolean });
            if (weak is null || weak.Value.ConstantValue is not { HasValue: true, Value: true })
                return;
            var handler = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
            if (handler is null)
                return;

            var value = handler.Value;
            while (value is IConversionOperation conversion)
                value = conversion.Operand;

            string? what = value switch
            {
                IDelegateCreationOperation { Target: IAnonymousFunctionOperation } => "This lambda",
                IAnonymousFunctionOperation => "This lambda",
                IDelegateCreationOperation { Target: IMethodReferenceOperation { Method.MethodKind: MethodKind.LocalFunction } } => "This local function",
                IDelegateCreationOperation { Target: IMethodReferenceOperation } => "The delegate created for this method group",
                IObjectCreationOperation => "This new object",
                _ => null,
            };
            if (what is not null)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.WeakDelegateSubscription, handler.Syntax.GetLocation(), what));
        }
    }
}
