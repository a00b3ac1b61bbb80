using System.Collections.Generic;
using System.Linq;
using System.Threading;
using IpcContracts.Generators.Parsing;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.Analyzers.Model
{
    /// <summary>
    /// The compilation-wide facts a single contract's checks need: every contract declared in source (for duplicate IDs
    /// and the baseline) and every JsonSerializerContext class (for JSON coverage). Built at most once per compilation,
    /// lazily, from the declaration table (<see cref="Compilation.GetSymbolsWithName(System.Func{string, bool}, SymbolFilter, CancellationToken)"/>):
    /// no syntax walk and no binding of member bodies; only the attributes of attributed interfaces and the base types of
    /// partial classes with a base list are read.
    /// </summary>
    internal sealed class SourceIndex
    {
        private SourceIndex()
        {
        }

        public List<ContractIdentity> Contracts { get; } = new List<ContractIdentity>();

        /// <summary>Source classes deriving from JsonSerializerContext (usable or not, with or without [JsonSerializable]).</summary>
        public List<INamedTypeSymbol> ContextClasses { get; } = new List<INamedTypeSymbol>();

        public static SourceIndex Build(Compilation compilation, CancellationToken cancellationToken)
        {
            var index = new SourceIndex();
            foreach (var symbol in compilation.GetSymbolsWithName(static _ => true, SymbolFilter.Type, cancellationToken))
            {
                if (symbol is not INamedTypeSymbol type)
                    continue;
                // Syntax first (already parsed, no binding): only interfaces with attributes can be contracts, and only
                // partial classes with a base list can be JsonSerializerContexts the STJ generator completes.
                if (type.TypeKind == TypeKind.Interface)
                {
                    if (AnyDeclaration(type, cancellationToken, d => d.AttributeLists.Count > 0) && ContractIdentity.TryRead(type) is { } identity)
                        index.Contracts.Add(identity);
                }
                else if (type.TypeKind == TypeKind.Class &&
                         AnyDeclaration(type, cancellationToken, d => d.BaseList is not null && d.Modifiers.Any(SyntaxKind.PartialKeyword)) &&
                         TypeChecks.DerivesFrom(type, KnownNames.JsonSerializerContext))
                {
                    index.ContextClasses.Add(type);
                }
            }
            return index;
        }

        private static bool AnyDeclaration(INamedTypeSymbol type, CancellationToken cancellationToken, System.Func<TypeDeclarationSyntax, bool> predicate)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && predicate(declaration))
                    return true;
            }
            return false;
        }
    }

    /// <summary>Contracts declared in referenced assemblies that themselves reference the IpcContracts runtime.</summary>
    internal sealed class ReferencedContracts
    {
        private ReferencedContracts()
        {
        }

        public List<ContractIdentity> Contracts { get; } = new List<ContractIdentity>();

        public static ReferencedContracts Build(Compilation compilation, CancellationToken cancellationToken)
        {
            var result = new ReferencedContracts();
            foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                if (assembly.Name == "IpcContracts" ||
                    !assembly.Modules.Any(m => m.ReferencedAssemblySymbols.Any(r => r.Name == "IpcContracts")))
                    continue;
                var pending = new Stack<INamespaceOrTypeSymbol>();
                pending.Push(assembly.GlobalNamespace);
                while (pending.Count > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var container = pending.Pop();
                    if (container is INamespaceSymbol ns)
                    {
                        foreach (var member in ns.GetMembers())
                            pending.Push(member);
                    }
                    else if (container is INamedTypeSymbol type)
                    {
                        if (type.TypeKind == TypeKind.Interface && ContractIdentity.TryRead(type) is { } identity)
                            result.Contracts.Add(identity);
                        foreach (var nested in type.GetTypeMembers())
                            pending.Push(nested);
                    }
                }
            }
            return result;
        }
    }
}
