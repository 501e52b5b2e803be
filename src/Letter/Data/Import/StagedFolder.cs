using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// A dataset folder replaced as a whole or not at all. The new files are written to a temporary
/// folder beside the target (same parent, so on the same file system); <see cref="Commit"/> copies
/// in what the previous folder holds besides the files being replaced (embeddings, an index: files
/// the import does not write stay as they were, as they did before), moves the previous folder
/// aside, moves the new one in and only then deletes the old one. A failure at any step before the
/// last rename leaves the previous folder as it was (it is moved back if it had been moved aside),
/// and <see cref="Dispose"/> removes the temporary folder.
/// </summary>
internal sealed class StagedFolder : IDisposable
{
    private readonly string _target;
    private readonly HashSet<string> _replaced;
    private bool _committed;

    /// <summary>Called with the name of each step before it runs; tests throw from it to fail the import there.</summary>
    internal static readonly AsyncLocal<Action<string>?> FaultInjection = new();

    private StagedFolder(string target, string path, IEnumerable<string> replaced)
    {
        _target = target;
        Path = path;
        _replaced = new HashSet<string>(replaced, StringComparer.Ordinal);
    }

    /// <summary>The temporary folder to write the new files into.</summary>
    public string Path { get; }

    /// <param name="target">The dataset folder; checked to be a folder (or not to exist yet), with no folder where a replaced file goes.</param>
    /// <param name="replaced">The file names the new folder holds or removes: these are not carried over.</param>
    public static StagedFolder Create(string target, IReadOnlyCollection<string> replaced)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(target));
        if (Directory.Exists(full))
        {
            foreach (var name in replaced)
                if (Directory.Exists(System.IO.Path.Combine(full, name)))
                    throw new LetterDataException(System.IO.Path.Combine(target, name), null,
                        "is a folder where the import writes a file; move it away, then import again (the dataset was left as it was)");
        }
        var parent = System.IO.Path.GetDirectoryName(full) ?? throw new LetterDataException(target, null, "cannot be a dataset folder (it is the root)");
        try
        {
            Directory.CreateDirectory(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LetterDataException(target, null, $"its parent folder cannot be created: {Quoted.Escape(e.Message, 200)}");
        }
        var path = System.IO.Path.Combine(parent, $".{System.IO.Path.GetFileName(full)}.import-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LetterDataException(target, null, $"a temporary folder beside it cannot be created: {Quoted.Escape(e.Message, 200)}");
        }
        return new StagedFolder(full, path, replaced);
    }

    public static void Step(string name) => FaultInjection.Value?.Invoke(name);

    /// <summary>Puts the new folder in the target's place.</summary>
    public void Commit()
    {
        if (!Directory.Exists(_target))
        {
            Step("move in");
            Move(Path, _target);
            _committed = true;
            return;
        }
        CarryOver(_target, Path, top: true);
        var old = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(_target)!,
            $".{System.IO.Path.GetFileName(_target)}.previous-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        Step("move previous aside");
        Move(_target, old);
        try
        {
            Step("move in");
            Move(Path, _target);
        }
        catch
        {
            Directory.Move(old, _target);
            throw;
        }
        _committed = true;
        Step("delete previous");
        TryDelete(old);
    }

    private void CarryOver(string from, string to, bool top)
    {
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            if (top && _replaced.Contains(entry.Name)) continue;
            var dest = System.IO.Path.Combine(to, entry.Name);
            Step($"carry over {entry.Name}");
            try
            {
                if (entry is DirectoryInfo d)
                {
                    Directory.CreateDirectory(dest);
                    CarryOver(d.FullName, dest, top: false);
                }
                else
                {
                    File.Copy(entry.FullName, dest);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LetterDataException(entry.FullName, null,
                    $"cannot be carried over into the new dataset folder, so the import was not applied: {Quoted.Escape(e.Message, 200)}");
            }
        }
    }

    private void Move(string from, string to)
    {
        try
        {
            Directory.Move(from, to);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LetterDataException(_target, null, $"cannot be replaced, so the import was not applied: {Quoted.Escape(e.Message, 200)}");
        }
    }

    private static void TryDelete(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        if (!_committed) TryDelete(Path);
    }
}
