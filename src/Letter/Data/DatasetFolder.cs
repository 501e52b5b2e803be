using Letter.IO;

namespace Letter.Data;

/// <summary>
/// The files of a dataset folder in the LETTER layout, found by the one <c>NAME.inter.json</c> in it.
/// Optional files are null when absent.
/// </summary>
public sealed record DatasetFolder(string Directory, string Name)
{
    public string InterFile => Path.Combine(Directory, $"{Name}.inter.json");
    public string ItemFile => Path.Combine(Directory, $"{Name}.item.json");
    public string IndexFile => Path.Combine(Directory, $"{Name}.index.json");
    public string SemanticEmbeddingFile => Path.Combine(Directory, $"{Name}.emb-minilm.npy");
    public string CfEmbeddingFile => Path.Combine(Directory, $"{Name}.cf-sasrec-32d.npy");

    public bool HasItemText => File.Exists(ItemFile);
    public bool HasIndex => File.Exists(IndexFile);

    public static DatasetFolder Find(string directory)
    {
        InputFile.RequireDirectory(directory);
        var inters = System.IO.Directory.GetFiles(directory, "*.inter.json");
        return inters.Length switch
        {
            0 => throw new LetterDataException(directory, null, "no NAME.inter.json file in this folder (see the LETTER data layout in the README)"),
            1 => new DatasetFolder(directory, Path.GetFileName(inters[0])[..^".inter.json".Length]),
            _ => throw new LetterDataException(directory, null,
                $"more than one *.inter.json file: {string.Join(", ", inters.Select(Path.GetFileName))}"),
        };
    }
}
