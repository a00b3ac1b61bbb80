using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Parsing
{
    /// <summary>Metadata names the generator recognises, compared by name so no symbol lookups are needed.</summary>
    internal static class KnownNames
    {
        public const string RequestContractAttribute = "IpcContracts.RequestContractAttribute";
        public const string EventContractAttribute = "IpcContracts.EventContractAttribute";
        public const string ContractMethodAttribute = "IpcContracts.ContractMethodAttribute";
        public const string IpcJsonContextAttribute = "IpcContracts.IpcJsonContextAttribute";
        public const string ContractRegistry = "IpcContracts.Runtime.ContractRegistry";
        public const string JsonSerializableAttribute = "System.Text.Json.Serialization.JsonSerializableAttribute";
        public const string JsonSerializerContext = "System.Text.Json.Serialization.JsonSerializerContext";
        public const string JsonConstructorAttribute = "System.Text.Json.Serialization.JsonConstructorAttribute";
        public const string SetsRequiredMembersAttribute = "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute";
        public const string CancellationToken = "System.Threading.CancellationToken";
        public const string TasksNamespace = "System.Threading.Tasks";
        public const string AsyncEnumerable = "System.Collections.Generic.IAsyncEnumerable`1";
        public const string Progress = "System.IProgress`1";
        public const string Stream = "System.IO.Stream";
        public const string PipeReader = "System.IO.Pipelines.PipeReader";
        public const string PipeWriter = "System.IO.Pipelines.PipeWriter";
        public const string ReadOnlyMemory = "System.ReadOnlyMemory`1";
        public const string ReadOnlySequence = "System.Buffers.ReadOnlySequence`1";

        /// <summary>True when <paramref name="type"/> is the named type (namespace + metadata name, e.g. <c>Task`1</c>).</summary>
        public static bool Is(ITypeSymbol? type, string fullMetadataName)
        {
            if (type is not INamedTypeSymbol named || named.ContainingType is not null)
                return false;
            string ns = named.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() + "." : "";
            return ns + named.MetadataName == fullMetadataName;
        }
    }
}
