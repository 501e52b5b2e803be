namespace Letter.IO;

/// <summary>Reads an input file, turning a missing or unreadable file into a one-line data error.</summary>
public static class InputFile
{
    public static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new LetterDataException(path, null, "file not found");
        }
        catch (DirectoryNotFoundException)
        {
            throw new LetterDataException(path, null, "file not found (its folder does not exist)");
        }
        catch (UnauthorizedAccessException)
        {
            throw new LetterDataException(path, null, "permission denied");
        }
        catch (IOException e)
        {
            throw new LetterDataException(path, null, $"cannot be read: {e.Message}");
        }
    }

    public static void RequireDirectory(string path)
    {
        if (!Directory.Exists(path))
            throw new LetterDataException(path, null, File.Exists(path) ? "is a file, expected a dataset folder" : "folder not found");
    }
}
