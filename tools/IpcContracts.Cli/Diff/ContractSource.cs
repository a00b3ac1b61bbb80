using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using IpcContracts.Analyzers.Baseline;
using IpcContracts.Cli.Infrastructure;

namespace IpcContracts.Cli.Diff;

/// <summary>
/// The contract baseline entries of one side of a diff: a compiled contracts assembly (the lines the generator recorded
/// as <c>[assembly: AssemblyMetadata("IpcContracts.Contract", line)]</c>, read with System.Reflection.Metadata, so the
/// assembly is never loaded or run), a baseline file (contracts.shipped.txt / contracts.unshipped.txt), or a folder
/// holding those files.
/// </summary>
internal static class ContractSource
{
    public static List<BaselineEntry> Read(string path)
    {
        if (Directory.Exists(path)) return ReadFolder(path);
        if (!File.Exists(path)) throw new CliException(ExitCodes.Usage, $"'{path}' does not exist.");
        try
        {
            return IsPortableExecutable(path) ? ReadAssembly(path) : ReadLines(path, File.ReadAllLines(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot read '{path}': {e.Message}");
        }
    }

    private static bool IsPortableExecutable(string path)
    {
        using var stream = File.OpenRead(path);
        return stream.ReadByte() == 'M' && stream.ReadByte() == 'Z';
    }

    private static List<BaselineEntry> ReadFolder(string path)
    {
        var files = new[] { BaselineFormat.ShippedFileName, BaselineFormat.UnshippedFileName }.Select(f => Path.Combine(path, f)).Where(File.Exists).ToList();
        if (files.Count == 0)
            throw new CliException(ExitCodes.Usage, $"'{path}' has neither {BaselineFormat.ShippedFileName} nor {BaselineFormat.UnshippedFileName}.");
        return [.. files.SelectMany(f => ReadLines(f, File.ReadAllLines(f)))];
    }

    private static List<BaselineEntry> ReadLines(string path, IReadOnlyList<string> lines)
    {
        var entries = new List<BaselineEntry>();
        for (var i = 0; i < lines.Count; i++)
        {
            var entry = BaselineFormat.Parse(lines[i], i, out var error);
            if (error is not null) throw new CliException(ExitCodes.Usage, $"{path}:{i + 1}: {error} (IPC0026).");
            if (entry is not null) entries.Add(entry);
        }
        return entries;
    }

    private static List<BaselineEntry> ReadAssembly(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        if (!pe.HasMetadata) throw new CliException(ExitCodes.Usage, $"'{path}' is not a .NET assembly.");
        var reader = pe.GetMetadataReader();
        var lines = new List<string>();
        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            if (!IsAssemblyMetadata(reader, attribute)) continue;
            // Blob: prolog 0x0001, then the constructor's two strings (key, value), then the named-argument count.
            var blob = reader.GetBlobReader(attribute.Value);
            if (blob.ReadUInt16() != 1) continue;
            if (blob.ReadSerializedString() == BaselineFormat.AssemblyMetadataKey && blob.ReadSerializedString() is { } line) lines.Add(line);
        }
        if (lines.Count == 0)
            throw new CliException(ExitCodes.Usage,
                $"'{path}' records no IpcContracts contracts: it declares none, or was built with a generator older than this tool (rebuild it, or diff baseline files).");
        return ReadLines(path, lines);
    }

    private static bool IsAssemblyMetadata(MetadataReader reader, CustomAttribute attribute)
    {
        var type = attribute.Constructor.Kind switch
        {
            HandleKind.MemberReference => reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent,
            HandleKind.MethodDefinition => reader.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType(),
            _ => default,
        };
        return type.Kind switch
        {
            HandleKind.TypeReference => Is(reader.GetTypeReference((TypeReferenceHandle)type).Namespace, reader.GetTypeReference((TypeReferenceHandle)type).Name),
            HandleKind.TypeDefinition => Is(reader.GetTypeDefinition((TypeDefinitionHandle)type).Namespace, reader.GetTypeDefinition((TypeDefinitionHandle)type).Name),
            _ => false,
        };

        bool Is(StringHandle ns, StringHandle name) =>
            reader.StringComparer.Equals(ns, "System.Reflection") && reader.StringComparer.Equals(name, "AssemblyMetadataAttribute");
    }
}
