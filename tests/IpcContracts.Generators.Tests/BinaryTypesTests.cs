using IpcContracts.Generators.Tests.Infrastructure;

namespace IpcContracts.Generators.Tests;

/// <summary>
/// The binary types take their metadata from the runtime's BinaryJson wherever generated code needs it, never from the
/// user's contexts: ReadOnlySequence&lt;byte&gt; has no System.Text.Json converter, and a contract that moves bytes should
/// need no [JsonSerializable] for them.
/// </summary>
public sealed class BinaryTypesTests
{
    [Fact]
    public void Binary_types_get_no_IpcJsonTypes_property_and_no_message_type_registration()
    {
        var result = GeneratorRunner.Run(new[] { ContractShapes.Bytes });
        string jsonTypes = result.Text("IpcJsonTypes.g.cs");
        string module = result.Text("IpcContractsModule.g.cs");

        foreach (var text in new[] { jsonTypes, module })
        {
            Assert.DoesNotContain("byte[]", text);
            Assert.DoesNotContain("ReadOnlyMemory", text);
            Assert.DoesNotContain("ReadOnlySequence", text);
            Assert.DoesNotContain("System.IO.", text);
        }
        // A byte[] inside a DTO is an ordinary JSON member of a type the user's context covers.
        Assert.Contains("global::Files.Label", jsonTypes);
        Assert.Contains("MessageTypeRegistry.Register<global::Files.Label>", module);
    }

    [Fact]
    public void Every_binary_use_in_generated_code_reads_BinaryJson()
    {
        string contract = GeneratorRunner.Run(new[] { ContractShapes.Bytes }).Text("Files.IFiles.IpcContract.g.cs");

        Assert.DoesNotContain("IpcJsonTypes.System_Byte", contract);
        Assert.DoesNotContain("IpcJsonTypes.System_ReadOnlyMemory", contract);
        Assert.DoesNotContain("IpcJsonTypes.System_Buffers", contract);
        Assert.Contains("BinaryJson.ReadOnlySequence", contract);
    }
}
