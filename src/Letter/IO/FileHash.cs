using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Letter.IO;

/// <summary>SHA-256 of input files, remembered per (path, size, modification time) within the process.</summary>
public static class FileHash
{
    private static readonly ConcurrentDictionary<(string, long, DateTime), string> Cache = new();

    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new LetterDataException(path, null, "file not found");
        return Cache.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }

    public static string Sha256Text(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
