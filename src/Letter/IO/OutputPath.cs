namespace Letter.IO;

/// <summary>
/// Checks an output path before any work is done, so a run that would take hours is refused at once
/// when its output cannot be written: a file where a folder goes, a folder where a file goes, or a
/// file standing where one of the path's parent folders should be.
/// </summary>
public static class OutputPath
{
    /// <summary>A folder to create or write into; <paramref name="what"/> names it in the message ("the run folder").</summary>
    public static string RequireFolder(string path, string what)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new LetterDataException(path, null, $"is a file, but {what} must be a folder (give a folder, or a path that does not exist yet)");
        RequireNoFileAbove(path, full, what);
        return path;
    }

    /// <summary>A file to write (replacing it if it exists); <paramref name="what"/> names it in the message ("the output file").</summary>
    public static string RequireFile(string path, string what)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new LetterDataException(path, null, $"is a folder, but {what} must be a file (give a file name)");
        RequireNoFileAbove(path, full, what);
        return path;
    }

    private static void RequireNoFileAbove(string path, string full, string what)
    {
        for (var parent = Path.GetDirectoryName(full); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (Directory.Exists(parent)) return;
            if (File.Exists(parent))
                throw new LetterDataException(path, null, $"cannot be {what}: {parent} is a file, not a folder");
        }
    }
}
