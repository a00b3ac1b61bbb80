namespace IpcContracts;

/// <summary>What was wrong with bytes received from the peer.</summary>
public enum ProtocolError
{
    /// <summary>The stream ended inside a frame.</summary>
    Truncated = 1,
    /// <summary>The frame did not begin with the magic bytes.</summary>
    BadMagic = 2,
    /// <summary>The peer speaks another protocol version.</summary>
    UnsupportedVersion = 3,
    /// <summary>The kind byte is not a known frame kind.</summary>
    UnknownKind = 4,
    /// <summary>Reserved header bytes were not zero.</summary>
    ReservedBitsSet = 5,
    /// <summary>The length prefix is above the configured maximum.</summary>
    FrameTooLarge = 6,
    /// <summary>A payload could not be parsed as the type the contract declares.</summary>
    BadPayload = 7,
    /// <summary>A frame arrived that is not allowed in the connection's state (e.g. before Hello).</summary>
    UnexpectedFrame = 8,
    /// <summary>The peer did not complete the handshake in time.</summary>
    HandshakeTimeout = 9,
}
