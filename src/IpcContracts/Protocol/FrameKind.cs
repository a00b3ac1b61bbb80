namespace IpcContracts.Protocol;

/// <summary>The kind byte of a frame header. Values are part of the wire format (docs/protocol.md).</summary>
internal enum FrameKind : byte
{
    /// <summary>Handshake: the sender's protocol version and contract manifest. First frame each way.</summary>
    Hello = 1,
    /// <summary>A call that expects exactly one Response or Error with the same correlation ID.</summary>
    Request = 2,
    /// <summary>Successful result of a Request.</summary>
    Response = 3,
    /// <summary>Failed result of a Request, or a connection-level protocol error (correlation ID 0).</summary>
    Error = 4,
    /// <summary>Asks the peer to cancel the Request with the same correlation ID.</summary>
    Cancel = 5,
    /// <summary>One-way event; no reply.</summary>
    Event = 6,
    /// <summary>Liveness probe; answered by Pong with the same correlation ID.</summary>
    Ping = 7,
    /// <summary>Answer to Ping.</summary>
    Pong = 8,
    /// <summary>The sender is closing the connection deliberately.</summary>
    Goodbye = 9,
    /// <summary>The sender wants events of the contract (or bus message type) named by the header IDs.</summary>
    Subscribe = 10,
    /// <summary>The sender no longer wants events of that contract.</summary>
    Unsubscribe = 11,
    /// <summary>One item of a stream result, answering the Request with the same correlation ID (a Response ends the stream).</summary>
    StreamItem = 12,
    /// <summary>The caller grants the producer of the stream with the same correlation ID more bytes (4-byte payload).</summary>
    StreamCredit = 13,
    /// <summary>A progress report of the Request with the same correlation ID, sent by its handler before the reply.</summary>
    Progress = 14,
    /// <summary>The caller's argument stream for its Request with the same correlation ID ended (empty) or failed (Error JSON); flag Upstream.</summary>
    StreamEnd = 15,
}
