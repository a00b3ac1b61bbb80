namespace IpcContracts.Generators.Models
{
    /// <summary>
    /// A request method's bytes of any length: its <c>Stream</c> or <c>PipeReader</c> parameter, or the <c>Stream</c> or
    /// <c>PipeReader</c> of its <c>Task&lt;T&gt;</c>/<c>ValueTask&lt;T&gt;</c> result. Both travel as a stream of
    /// <c>ReadOnlyMemory&lt;byte&gt;</c> chunks (the runtime's <c>ByteStreams</c>), so they reuse the stream machinery.
    /// </summary>
    internal enum ByteStreamKind
    {
        /// <summary>Not a byte stream.</summary>
        None,

        /// <summary><c>System.IO.Stream</c> itself (not a derived type, which generated code could not produce).</summary>
        Stream,

        /// <summary><c>System.IO.Pipelines.PipeReader</c> itself.</summary>
        PipeReader,
    }
}
