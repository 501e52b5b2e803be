using System.Text;
using Letter.Data;
using Letter.Formats;
using Letter.IO;
using Letter.Tests.Cli;
using Letter.Tests.Tokenization;
using Letter.Tokenization;

namespace Letter.Tests.Service;

/// <summary>
/// A run trained on the user's own catalogue, as a new user makes one: a CSV of interactions with string
/// user and item ids ("u-α3", "B00X04", an accented "B00Xé-ü", and the numeric-looking "7" and "42") and an
/// item table, imported with <c>letter import csv</c>; a tiny LETTER tokenizer over random embeddings of
/// the imported items (tokenizer/), and TIGER trained on its index with <c>letter train</c> (tiger/), which
/// copies the dataset's id maps into the run folder. Trained once for the tests that use it (a few seconds).
/// </summary>
public sealed class ImportedRun : IDisposable
{
    public const int Users = 30, Length = 6, EmbeddingDim = 6;
    private readonly TempDir _tmp = new();

    /// <summary>The catalogue's ids as the CSV has them; item i of this list is not dense item i (import numbers items by first appearance).</summary>
    public static readonly string[] CatalogueIds =
        ["B00X01", "B00X02", "B00X03", "B00X04", "B00X05", "B00X06", "B00X07", "B00X08", "B00X09", "B00X10", "B00X11", "B00X12", "B00X13", "7", "42", "B00Xé-ü"];

    public static string UserId(int u) => $"u-α{u}";

    public static string Title(string itemId) => $"Title of {itemId}";

    /// <summary>User u's items, oldest first (ids as in the CSV): six neighbours along the catalogue from a user-dependent start.</summary>
    public static string[] Sequence(int u) => Enumerable.Range(0, Length).Select(j => CatalogueIds[(u * 5 + j) % CatalogueIds.Length]).ToArray();

    public ImportedRun()
    {
        var csv = new StringBuilder("user,item,ts\n");
        for (int u = 1; u <= Users; u++)
            for (int j = 0; j < Length; j++) csv.Append($"{UserId(u)},{Sequence(u)[j]},{j + 1}\n");
        var items = new StringBuilder("item,title\n");
        foreach (var id in CatalogueIds) items.Append($"{id},{Title(id)}\n");
        File.WriteAllText(_tmp.File("ratings.csv"), csv.ToString(), new UTF8Encoding(false));
        File.WriteAllText(_tmp.File("items.csv"), items.ToString(), new UTF8Encoding(false));

        DataDirectory = _tmp.File("shop");
        var imported = CliRunner.Run("import", "csv", _tmp.File("ratings.csv"), "--user-col", "user", "--item-col", "item", "--time-col", "ts",
            "--item-file", _tmp.File("items.csv"), "--item-id-col", "item", "--text-cols", "title", "--k-core", "0", "--quiet", "--out", DataDirectory);
        if (imported.ExitCode != 0) throw new InvalidOperationException("letter import failed: " + imported.Stderr);
        var folder = new DatasetFolder(DataDirectory, "shop");
        ItemIds = IdMaps.ReadMap(IdMaps.ItemFile(folder));
        UserKeys = IdMaps.ReadMap(IdMaps.UserFile(folder));

        Run = _tmp.File("run");
        var tokenizerDir = Path.Combine(Run, "tokenizer");
        var semantic = TinyTokenizer.Random(ItemIds.Length, EmbeddingDim, 5);
        var semanticFile = _tmp.File("semantic.npy");
        NpyFile.Write(semanticFile, semantic);
        Semantic = semantic;
        var config = TinyTokenizer.Config with { CodebookSizes = [4, 4, 4], SinkhornEpsilons = [0, 0, 0.003], Alpha = 0, Beta = 0 };
        TokenizerPipeline.Run(semantic, null, config, tokenizerDir, "shop", [InputRecord.Of("semantic", semanticFile, semantic)]);
        var trained = CliRunner.Run("train", DataDirectory, "--index", Path.Combine(tokenizerDir, "shop.index.json"), "--out", Path.Combine(Run, "tiger"),
            "--epochs", "2", "--valid-users", "0", "--beam", "5", "--seed", "1", "--threads", "2");
        if (trained.ExitCode != 0) throw new InvalidOperationException("letter train failed: " + trained.Stderr);
    }

    /// <summary>The imported dataset (shop.inter.json, shop.item.json, shop.item2id, shop.user2id).</summary>
    public string DataDirectory { get; }
    /// <summary>The pipeline run: tiger/ (with its copies item2id, user2id) and tokenizer/.</summary>
    public string Run { get; }
    /// <summary>Dense item i's id in the CSV, as the import's item2id says.</summary>
    public string[] ItemIds { get; }
    /// <summary>Dense user i's id in the CSV (the inter file keys users by their dense number).</summary>
    public string[] UserKeys { get; }
    public FloatMatrix Semantic { get; }

    public int Dense(string itemId) => Array.IndexOf(ItemIds, itemId);

    /// <summary>A fresh copy of the run folder to change.</summary>
    public string Copy(TempDir into)
    {
        var target = into.File("run");
        ServedRuns.CopyDirectory(Run, target);
        return target;
    }

    public void Dispose() => _tmp.Dispose();
}

[CollectionDefinition("imported run")]
public sealed class ImportedRunCollection : ICollectionFixture<ImportedRun>;
