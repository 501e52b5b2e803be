using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// An input file opened for streaming, gunzipped when it starts with the gzip magic bytes (whatever
/// its name), every gzip member read to its trailer (<see cref="GzipMembers"/>). Files in a
/// compression or binary format Letter does not read as text are refused by their magic bytes
/// rather than read as garbage rows. <see cref="Position"/> is the position in the file on disk,
/// for progress.
/// </summary>
internal sealed class InputStream : IDisposable
{
    private readonly FileStream _file;

    // Magic bytes of formats that would otherwise be read as text, each a bad row or, worse, none.
    private static readonly (byte[] Magic, string What)[] Refused =
    [
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd-compressed: decompress it first (zstd -d), Letter reads plain and gzip files"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz-compressed: decompress it first (xz -d), Letter reads plain and gzip files"),
        ([0x42, 0x5A, 0x68], "bzip2-compressed: decompress it first (bunzip2), Letter reads plain and gzip files"),
        ([0x50, 0x4B, 0x03, 0x04], "a zip archive: extract the file first, Letter reads plain and gzip files"),
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "a 7z archive: extract the file first, Letter reads plain and gzip files"),
        ([0x50, 0x41, 0x52, 0x31], "a Parquet file: import it with the parquet format"),
    ];

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
        Span<byte> magic = stackalloc byte[6];
        int n = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        file.Position = 0;
        magic = magic[..n];
        foreach (var (bytes, what) in Refused)
        {
            // bzip2's "BZh" is followed by the block size digit; a header line may well start with "BZh"
            if (magic.StartsWith(bytes) && (bytes[0] != 0x42 || (n > 3 && magic[3] is >= (byte)'1' and <= (byte)'9')))
            {
                file.Dispose();
                throw new LetterDataException(path, null, $"is {what}");
            }
        }
        bool gzip = magic.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]);
        if (!gzip && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            file.Dispose();
            throw new LetterDataException(path, null, "is named .gz but does not start with the gzip magic bytes 1f 8b (a cut file, or not gzip)");
        }
        return new InputStream(path, file, gzip ? new GzipMembers(file, path) : file);
    }

    public void Dispose()
    {
        Stream.Dispose();
        _file.Dispose();
    }
}
