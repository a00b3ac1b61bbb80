using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>
    /// Reads the (alias, Id) pair shared by [RequestContract], [EventContract] and [ContractMethod].
    /// Tolerates malformed attributes (missing or mistyped arguments): they read as "not given".
    /// </summary>
    internal static class AttributeReader
    {
        public static (string? Alias, uint Id) ReadAliasAndId(AttributeData attribute)
        {
            string? alias = null;
            if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string s && s.Length > 0)
                alias = s;

            uint id = 0;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "Id" && named.Value.Value is uint u)
                    id = u;
            }
            return (alias, id);
        }

        public static bool IsAttribute(AttributeData attribute, string metadataName) =>
            KnownNames.Is(attribute.AttributeClass, metadataName);
    }
}
