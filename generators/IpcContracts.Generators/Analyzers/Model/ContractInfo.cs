using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Model
{
    /// <summary>One method of a contract (its own or inherited), with the wire identity the generator would give it.</summary>
    internal sealed class MethodEntry
    {
        public MethodEntry(IMethodSymbol symbol, bool isOwn, string display, string alias, bool hasAlias, uint id, bool hasExplicitId, Location location)
        {
            Symbol = symbol;
            IsOwn = isOwn;
            Display = display;
            Alias = alias;
            HasAlias = hasAlias;
            Id = id;
            HasExplicitId = hasExplicitId;
            Location = location;
        }

        public IMethodSymbol Symbol { get; }

        /// <summary>Declared on the contract itself (not inherited from a base interface).</summary>
        public bool IsOwn { get; }

        /// <summary>How messages name it: <c>GetAsync</c>, or <c>IBase.GetAsync</c> when inherited.</summary>
        public string Display { get; }

        public string Alias { get; }

        /// <summary>[ContractMethod("alias")] gives the alias explicitly.</summary>
        public bool HasAlias { get; }

        public uint Id { get; }

        public bool HasExplicitId { get; }

        /// <summary>Where to report about it: the method name, or the contract name when inherited.</summary>
        public Location Location { get; }

        /// <summary>The canonical signature the fingerprint hashes; null when the generator would reject the method.</summary>
        public string? Signature { get; set; }
    }

    /// <summary>A payload value of a contract method: a parameter, or the result of Task&lt;T&gt;/ValueTask&lt;T&gt;.</summary>
    internal sealed class PayloadUse
    {
        public PayloadUse(ITypeSymbol type, string role, MethodEntry method, Location location)
        {
            Type = type;
            Role = role;
            Method = method;
            Location = location;
        }

        public ITypeSymbol Type { get; }

        /// <summary>"Parameter 'sku'" or "The result".</summary>
        public string Role { get; }

        public MethodEntry Method { get; }

        public Location Location { get; }
    }

    /// <summary>What the analyzer learned about one contract interface.</summary>
    internal sealed class ContractInfo
    {
        public ContractInfo(ContractIdentity identity, Location location)
        {
            Identity = identity;
            Location = location;
        }

        public ContractIdentity Identity { get; }

        /// <summary>The interface name in its (first) declaration.</summary>
        public Location Location { get; }

        /// <summary>Own methods first, then inherited ones, in the generator's order.</summary>
        public List<MethodEntry> Methods { get; } = new List<MethodEntry>();

        public List<PayloadUse> Payloads { get; } = new List<PayloadUse>();

        /// <summary>True when an error was reported: the generator skips this contract.</summary>
        public bool HasErrors { get; set; }
    }
}
