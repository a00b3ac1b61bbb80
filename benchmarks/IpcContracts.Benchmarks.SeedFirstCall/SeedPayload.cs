namespace IpcContracts.Benchmarks.SeedFirstCall;

/// <summary>
/// The request and the response, named on the wire by assembly-qualified name (the client and the server are this one
/// assembly, as the seed assumes "shared assemblies across processes"). The same shape as the FirstCall client's payload.
/// </summary>
public sealed record SeedPayload(string Data);
