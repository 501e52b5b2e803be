namespace Letter.Tests;

/// <summary>
/// Paths into the read-only <c>../shared</c> folder beside the repository. Tests that need it use
/// <see cref="SharedDataFactAttribute"/>, which skips them with a clear message when it is absent.
/// </summary>
public static class SharedData
{
    public static string? Root { get; } = Find();

    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new InvalidOperationException("../shared is absent"), .. parts]);

    public static string Dataset(string name) => Path("data", name);

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("LETTER_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Letter.slnx")))
            {
                var shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(System.IO.Path.Combine(shared, "data")) ? shared : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that needs <c>../shared</c> (optionally a file in it); skipped with a message when absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(params string[] requiredPath)
    {
        if (SharedData.Root is null)
            Skip = "needs ../shared beside the repository (or LETTER_SHARED); it is absent";
        else if (requiredPath.Length > 0 && !File.Exists(SharedData.Path(requiredPath)) && !Directory.Exists(SharedData.Path(requiredPath)))
            Skip = $"needs ../shared/{string.Join('/', requiredPath)}; it is absent";
    }
}

/// <summary>A scratch folder deleted after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => System.IO.Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "letter-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
