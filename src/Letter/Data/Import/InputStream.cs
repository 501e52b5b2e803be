using System.IO.Compression;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// An input file opened for streaming, gunzipped when it starts with the gzip magic bytes (whatever
/// its name). <see cref="Position"/> is the position in the file on disk, for progress.
/// </summary>
internal sealed class InputStream : IDisposable
{
    private readonly FileStream _file;

    private InputStream(string path, FileStream file, Stream stream)
    {
        Path = path;
        _file = file;
        Stream = stream;
    }

    public string Path { get; }
    public Stream Stream { get; }
    public long Length => _file.Length;
    public long Position => _file.Position;

    public static InputStream Open(string path)
    {
        if (Directory.Exists(path)) throw new LetterDataException(path, null, "is a folder, expected a file");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LetterDataException(path, null, "file not found");
        }
        catch (UnauthorizedAccessException)
        {
            throw new LetterDataException(path, null, "permission denied");
        }
        Span<byte> magic = stackalloc byte[2];
        int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        return new InputStream(path, file, gzip ? new GZipStream(file, CompressionMode.Decompress) : file);
    }

    public void Dispose()
    {
        Stream.Dispose();
        _file.Dispose();
    }
}
