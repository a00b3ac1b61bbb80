namespace IpcContracts.Generators.Models
{
    /// <summary>A payload type (parameter or result) as generated code and the wire need it.</summary>
    /// <param name="Code">
    /// The type exactly as the contract declares it, <c>global::</c>-qualified and with nullable
    /// annotations, so explicit implementations and generic arguments match the interface.
    /// </param>
    /// <param name="MetadataCode">
    /// The same type without nullable-reference annotations: the <c>T</c> of its <c>JsonTypeInfo&lt;T&gt;</c>.
    /// </param>
    /// <param name="CanonicalName">Wire name: fully qualified, no <c>global::</c>, no nullable annotations.</param>
    /// <param name="PropertyName">Name of its <c>IpcJsonTypes</c> property (a pure function of the type).</param>
    /// <param name="Binary">Which binary payload type it is, if any: its metadata is the runtime's <c>BinaryJson</c>, not an
    /// <c>IpcJsonTypes</c> property.</param>
    /// <param name="Reader">The generated JSON reader's view of the type, when it gets one (<see cref="ReaderShape"/>).</param>
    internal sealed record TypeRef(string Code, string MetadataCode, string CanonicalName, string PropertyName, BinaryKind Binary = BinaryKind.None, ReaderShape? Reader = null)
    {
        /// <summary>
        /// True when <see cref="Code"/> carries annotations that <see cref="MetadataCode"/> lacks, so the
        /// shared <c>JsonTypeInfo</c> must be passed with <c>!</c> to silence the nullability-only mismatch.
        /// </summary>
        public bool NeedsNullableSuppression => Code != MetadataCode;
    }
}
