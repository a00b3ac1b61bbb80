using System.Collections.Generic;
using IpcContracts.Generators.Models;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// What the rulebook decided about one type carrying a contract attribute: the valid <see cref="ContractModel"/>
    /// the generator emits from, or the violations the analyzers report (never both). The facts below it are for the
    /// analyzers' compilation-wide checks (JSON coverage, IDs across contracts, the baseline); they hold symbols and so
    /// never enter the generator's incremental pipeline, which keeps only <see cref="Model"/>.
    /// </summary>
    internal sealed class ContractCheck
    {
        public ContractCheck(ContractIdentity? identity, RuleLocation? location)
        {
            Identity = identity;
            Location = location;
        }

        /// <summary>Null when the type cannot be a contract on the wire at all (not an interface, generic, both kinds).</summary>
        public ContractIdentity? Identity { get; }

        /// <summary>The interface name in its first declaration.</summary>
        public RuleLocation? Location { get; }

        /// <summary>Set only when no rule is broken and the compiler reports nothing in the contract's shape.</summary>
        public ContractModel? Model { get; set; }

        public List<RuleViolation> Violations { get; } = new List<RuleViolation>();

        /// <summary>Own methods first, then inherited ones, in the generator's order.</summary>
        public List<MethodFacts> Methods { get; } = new List<MethodFacts>();

        public List<PayloadUse> Payloads { get; } = new List<PayloadUse>();

        /// <summary>A broken rule, or a compiler error in the contract's shape: the generator skips the contract.</summary>
        public bool HasErrors { get; set; }

        public void Add(RuleViolation violation)
        {
            Violations.Add(violation);
            HasErrors = true; // every contract-shape rule is an error
        }
    }

    /// <summary>One method of a contract (its own or inherited) with the wire identity it has.</summary>
    internal sealed class MethodFacts
    {
        public MethodFacts(IMethodSymbol symbol, string display, string alias, bool hasAlias, uint id, bool hasExplicitId, RuleLocation? location)
        {
            Symbol = symbol;
            Display = display;
            Alias = alias;
            HasAlias = hasAlias;
            Id = id;
            HasExplicitId = hasExplicitId;
            Location = location;
        }

        public IMethodSymbol Symbol { get; }

        /// <summary>How messages name it: <c>GetAsync</c>, or <c>IBase.GetAsync</c> when inherited.</summary>
        public string Display { get; }

        public string Alias { get; }

        /// <summary>[ContractMethod("alias")] gives the alias explicitly.</summary>
        public bool HasAlias { get; }

        public uint Id { get; }

        public bool HasExplicitId { get; }

        /// <summary>The method name, or null (report at the contract) when inherited.</summary>
        public RuleLocation? Location { get; }

        /// <summary>The valid method's model; null when a rule rejects the method.</summary>
        public MethodModel? Model { get; set; }

        /// <summary>The canonical signature the fingerprint hashes; null when the method is rejected.</summary>
        public string? Signature => Model?.Signature;
    }

    /// <summary>A payload value of a contract method: a parameter, or the result of Task&lt;T&gt;/ValueTask&lt;T&gt;.</summary>
    internal sealed class PayloadUse
    {
        public PayloadUse(ITypeSymbol type, string role, MethodFacts method, RuleLocation? location)
        {
            Type = type;
            Role = role;
            Method = method;
            Location = location;
        }

        public ITypeSymbol Type { get; }

        /// <summary>"Parameter 'sku'" or "The result".</summary>
        public string Role { get; }

        public MethodFacts Method { get; }

        public RuleLocation? Location { get; }
    }
}
