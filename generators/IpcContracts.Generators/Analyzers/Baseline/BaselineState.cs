using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Analyzers.Baseline
{
    /// <summary>A baseline file's entries and unreadable lines.</summary>
    internal sealed class BaselineFile
    {
        public BaselineFile(AdditionalText file, SourceText text, bool shipped)
        {
            File = file;
            Text = text;
            Shipped = shipped;
            for (int i = 0; i < text.Lines.Count; i++)
            {
                var entry = BaselineFormat.Parse(text.Lines[i].ToString(), i, out string? error);
                if (entry is not null)
                    Entries.Add(entry);
                else if (error is not null)
                    Errors.Add((i, error));
            }
        }

        public AdditionalText File { get; }

        public SourceText Text { get; }

        public bool Shipped { get; }

        public List<BaselineEntry> Entries { get; } = new List<BaselineEntry>();

        public List<(int Line, string Error)> Errors { get; } = new List<(int Line, string Error)>();

        public string Name => Shipped ? BaselineFormat.ShippedFileName : BaselineFormat.UnshippedFileName;

        public Location LineLocation(int line)
        {
            var span = Text.Lines[line].Span;
            return Location.Create(File.Path, span, Text.Lines.GetLinePositionSpan(span));
        }
    }

    /// <summary>contracts.shipped.txt and contracts.unshipped.txt of the compilation, read once per compilation.</summary>
    internal sealed class BaselineState
    {
        private BaselineState()
        {
        }

        public List<BaselineFile> Files { get; } = new List<BaselineFile>();

        /// <summary>Non-retired shipped entries (a later line wins).</summary>
        public Dictionary<BaselineKey, (BaselineEntry Entry, BaselineFile File)> Shipped { get; } = new Dictionary<BaselineKey, (BaselineEntry, BaselineFile)>();

        /// <summary>The entries of <see cref="Shipped"/>, as the Roslyn-free <see cref="BaselineRules"/> take them.</summary>
        public Dictionary<BaselineKey, BaselineEntry> ShippedEntries { get; } = new Dictionary<BaselineKey, BaselineEntry>();

        /// <summary>Non-retired unshipped entries.</summary>
        public Dictionary<BaselineKey, BaselineEntry> Unshipped { get; } = new Dictionary<BaselineKey, BaselineEntry>();

        /// <summary>Keys retired in either file.</summary>
        public Dictionary<BaselineKey, BaselineEntry> Retired { get; } = new Dictionary<BaselineKey, BaselineEntry>();

        /// <summary>Where a new contracts.unshipped.txt goes: next to the existing baseline files.</summary>
        public string Directory { get; private set; } = "";

        /// <summary>Null when the project has no baseline file: then every baseline rule is off.</summary>
        public static BaselineState? Create(ImmutableArray<AdditionalText> additionalFiles, CancellationToken cancellationToken)
        {
            BaselineState? state = null;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var file in additionalFiles)
            {
                bool shipped = BaselineFormat.IsShippedFile(file.Path);
                if (!shipped && !BaselineFormat.IsUnshippedFile(file.Path))
                    continue;
                if (!seen.Add(file.Path) || file.GetText(cancellationToken) is not { } text)
                    continue;
                state ??= new BaselineState();
                var parsed = new BaselineFile(file, text, shipped);
                state.Files.Add(parsed);
                if (shipped || state.Directory.Length == 0)
                    state.Directory = DirectoryOf(file.Path);
            }
            if (state is null)
                return null;

            foreach (var file in state.Files.OrderBy(f => f.Shipped ? 0 : 1))
            {
                foreach (var entry in file.Entries)
                {
                    if (entry.Retired)
                        state.Retired[entry.Key] = entry;
                    else if (file.Shipped)
                    {
                        state.Shipped[entry.Key] = (entry, file);
                        state.ShippedEntries[entry.Key] = entry;
                    }
                    else
                        state.Unshipped[entry.Key] = entry;
                }
            }
            return state;
        }

        private static string DirectoryOf(string path)
        {
            int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
            return slash < 0 ? "" : path.Substring(0, slash);
        }
    }
}
