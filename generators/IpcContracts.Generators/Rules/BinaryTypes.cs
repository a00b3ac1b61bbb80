using IpcContracts.Generators.Models;
using IpcContracts.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// Which types are bytes: the three binary payload types (a value that can travel raw in its frame) and the two byte
    /// streams (bytes of any length, as chunks). Only the exact types count: a derived Stream could not be produced by
    /// generated code on the receiving side, and <c>ReadOnlyMemory&lt;byte&gt;?</c> is an ordinary JSON value.
    /// </summary>
    internal static class BinaryTypes
    {
        public static BinaryKind Of(ITypeSymbol type)
        {
            if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
                return BinaryKind.ByteArray;
            if (type is INamedTypeSymbol { TypeArguments.Length: 1 } named && named.TypeArguments[0].SpecialType == SpecialType.System_Byte)
            {
                if (KnownNames.Is(named, KnownNames.ReadOnlyMemory))
                    return BinaryKind.ReadOnlyMemory;
                if (KnownNames.Is(named, KnownNames.ReadOnlySequence))
                    return BinaryKind.ReadOnlySequence;
            }
            return BinaryKind.None;
        }

        public static bool IsBinary(ITypeSymbol type) => Of(type) != BinaryKind.None;

        public static ByteStreamKind StreamOf(ITypeSymbol type) =>
            KnownNames.Is(type, KnownNames.Stream) ? ByteStreamKind.Stream
            : KnownNames.Is(type, KnownNames.PipeReader) ? ByteStreamKind.PipeReader
            : ByteStreamKind.None;

        public static bool IsByteStream(ITypeSymbol type) => StreamOf(type) != ByteStreamKind.None;
    }
}
