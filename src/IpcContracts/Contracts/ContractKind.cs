namespace IpcContracts;

/// <summary>Whether a contract is request/response or one-way events.</summary>
public enum ContractKind : byte
{
    /// <summary>[RequestContract]: calls with one handler and one outcome each.</summary>
    Request = 1,
    /// <summary>[EventContract]: one-way events fanned out to subscribers.</summary>
    Event = 2,
}
