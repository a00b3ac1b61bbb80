using IpcContracts.Runtime;

namespace IpcContracts.Tests.InProcess;

public sealed class RegistryTests
{
    public interface IFirstClash;
    public interface ISecondClash;

    private sealed class FakeDescriptor<T>(uint id, string alias) : ContractDescriptor<T>(id, alias, ContractKind.Request, typeof(T).FullName!, [])
        where T : class
    {
        public override T CreateProxy(IOutboundChannel channel) => throw new NotSupportedException();
        public override ValueTask DispatchAsync(T target, InboundCall call) => throw new NotSupportedException();
    }

    [Fact]
    public void Two_contracts_with_one_wire_ID_both_refuse_to_work_and_name_each_other()
    {
        ContractRegistry.Register(new FakeDescriptor<IFirstClash>(0x7E57C1A5, "clash.first"));
        ContractRegistry.Register(new FakeDescriptor<ISecondClash>(0x7E57C1A5, "clash.second"));

        var first = Assert.Throws<IpcConfigurationException>(() => ContractRegistry.Get<IFirstClash>());
        var second = Assert.Throws<IpcConfigurationException>(() => ContractRegistry.Get<ISecondClash>());

        Assert.Contains("clash.first", second.Message);
        Assert.Contains("clash.second", second.Message);
        Assert.Equal(first.Message, second.Message);
    }
}
