namespace IpcContracts.Generators.Models
{
    /// <summary>
    /// Which of the three binary payload types a top-level parameter, result, stream item or progress value is. Generated
    /// code takes their JSON metadata from the runtime's <c>BinaryJson</c> (never the user's contexts), and a binary
    /// parameter is written with <c>ArgsJson.WriteBinary</c> and read back through <c>InboundCall.BinaryArgument</c>, so
    /// its bytes can travel raw in the frame.
    /// </summary>
    internal enum BinaryKind
    {
        /// <summary>Any other type: a JSON value with IpcJsonTypes metadata.</summary>
        None,

        /// <summary><c>byte[]</c> (annotated or not).</summary>
        ByteArray,

        /// <summary><c>System.ReadOnlyMemory&lt;byte&gt;</c>.</summary>
        ReadOnlyMemory,

        /// <summary><c>System.Buffers.ReadOnlySequence&lt;byte&gt;</c>.</summary>
        ReadOnlySequence,
    }
}
