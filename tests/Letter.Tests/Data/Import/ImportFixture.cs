using System.IO.Compression;
using System.Text;
using Letter.Data;
using Letter.Data.Import;

namespace Letter.Tests.Data.Import;

/// <summary>Writes small source files, imports them and reads back what the import wrote.</summary>
internal sealed class ImportFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public string Write(string name, string text)
    {
        var path = _dir.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    public string WriteGzip(string name, string text)
    {
        var path = _dir.File(name);
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Optimal);
        gz.Write(Encoding.UTF8.GetBytes(text));
        return path;
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        var path = _dir.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Folder(string name) => _dir.File(name);

    public Result Import(ImportFormat format, string[] sources, ImportOptions? options = null, TableColumns? columns = null, string output = "out")
    {
        var outDir = _dir.File(output);
        var report = DatasetImporter.Run(new ImportRequest(format, sources, outDir, "ds")
        {
            Options = options ?? ImportOptions.Default,
            Columns = columns ?? new TableColumns(),
        });
        return new Result(report, outDir);
    }

    public void Dispose() => _dir.Dispose();

    internal sealed record Result(ImportReport Report, string Directory)
    {
        public DatasetFolder Folder => new(Directory, "ds");
        public string Inter => File.ReadAllText(Folder.InterFile);
        public List<UserSequence> Users => InteractionsReader.Read(Folder.InterFile);
        public ItemText[] Items => ItemTextReader.Read(Folder.ItemFile);
        public string[] UserIds => IdMaps.ReadMap(IdMaps.UserFile(Folder));
        public string[] ItemIds => IdMaps.ReadMap(IdMaps.ItemFile(Folder));

        /// <summary>Each user's items as original ids, "user: item item ...", in dense user order.</summary>
        public string[] Sequences()
        {
            var users = UserIds;
            var items = ItemIds;
            return Users.Select(u => $"{users[int.Parse(u.UserId)]}: {string.Join(' ', u.Items.Select(i => items[i]))}").ToArray();
        }
    }
}
