using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Rules
{
    /// <summary>A contract's wire identity, computed exactly as the generator computes it.</summary>
    internal sealed class ContractIdentity
    {
        private ContractIdentity(INamedTypeSymbol symbol, AttributeData attribute, bool isEvent, string fullName, string alias, uint id, bool explicitId)
        {
            Symbol = symbol;
            Attribute = attribute;
            IsEvent = isEvent;
            FullName = fullName;
            Alias = alias;
            Id = id;
            HasExplicitId = explicitId;
        }

        public INamedTypeSymbol Symbol { get; }

        public AttributeData Attribute { get; }

        public bool IsEvent { get; }

        /// <summary>Namespace, containing types and name (the default alias).</summary>
        public string FullName { get; }

        public string Alias { get; }

        public uint Id { get; }

        public bool HasExplicitId { get; }

        public string Kind => IsEvent ? "event" : "request";

        /// <summary>How an ID is written in messages and in the baseline.</summary>
        public string IdText => WireIds.Hex(Id);

        /// <summary>The attributes of <paramref name="type"/> that make it a contract, in declaration order.</summary>
        public static int CountContractAttributes(INamedTypeSymbol type, out AttributeData? first, out AttributeData? second)
        {
            first = null;
            second = null;
            int count = 0;
            foreach (var a in type.GetAttributes())
            {
                if (IsContractAttribute(a))
                {
                    count++;
                    if (first is null)
                        first = a;
                    else if (second is null)
                        second = a;
                }
            }
            return count;
        }

        public static bool IsContractAttribute(AttributeData attribute) =>
            AttributeReader.IsAttribute(attribute, KnownNames.RequestContractAttribute) ||
            AttributeReader.IsAttribute(attribute, KnownNames.EventContractAttribute);

        public static bool IsEventAttribute(AttributeData attribute) =>
            AttributeReader.IsAttribute(attribute, KnownNames.EventContractAttribute);

        /// <summary>
        /// The identity of an interface with exactly one contract attribute that is not generic: the contracts that
        /// can exist on the wire. Null for anything else.
        /// </summary>
        public static ContractIdentity? TryRead(INamedTypeSymbol type)
        {
            if (type.TypeKind != TypeKind.Interface || CountContractAttributes(type, out var attribute, out _) != 1 || TypeChecks.IsGenericAnywhere(type))
                return null;
            return FromAttribute(type, attribute!);
        }

        public static ContractIdentity FromAttribute(INamedTypeSymbol type, AttributeData attribute)
        {
            string fullName = TypeNames.FullName(type);
            var (alias, id) = AttributeReader.ReadAliasAndId(attribute);
            string a = alias ?? fullName;
            return new ContractIdentity(type, attribute, IsEventAttribute(attribute), fullName, a, id != 0 ? id : Fnv1a.Hash32(a), id != 0);
        }
    }
}
