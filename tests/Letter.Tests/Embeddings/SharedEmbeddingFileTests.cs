using System.Text;
using Letter.Data;
using Letter.Embeddings;
using Letter.Formats;
using Letter.IO;

namespace Letter.Tests.Embeddings;

/// <summary>
/// Our encoder against the shared all-MiniLM-L6-v2 files on a sample of rows (every non-ASCII text,
/// the longest texts, and an even spread); the full-file check is in docs/benchmarks-embeddings.md.
/// </summary>
public class SharedEmbeddingFileTests
{

    [SharedDataFact("data", "yelp", "Yelp.emb-minilm.npy")]
    public void Yelp_SampledRowsMatchSharedFile() => Check("yelp", 160);

    [SharedDataFact("data", "scientific", "Scientific.emb-minilm.npy")]
    public void Scientific_SampledRowsMatchSharedFile() => Check("scientific", 120);

    private static void Check(string name, int spread)
    {
        var dataset = LetterDataset.Load(SharedData.Dataset(name), loadIndex: false);
        var expected = NpyFile.Read(dataset.Folder.SemanticEmbeddingFile).RequireRows(dataset.ItemCount, dataset.Folder.SemanticEmbeddingFile, "test");
        var texts = TextEmbedder.ItemTexts(dataset, ItemText.DefaultFields);
        var rows = new SortedSet<int>();
        for (int i = 0; i < texts.Length; i += texts.Length / spread) rows.Add(i);
        foreach (var i in Enumerable.Range(0, texts.Length).Where(i => !Ascii.IsValid(texts[i])).Take(40)) rows.Add(i);
        foreach (var i in Enumerable.Range(0, texts.Length).OrderByDescending(i => texts[i].Length).Take(10)) rows.Add(i);
        var sample = rows.ToArray();
        var encoder = SharedEncoder.Default;
        var got = encoder.Encode(sample.Select(i => texts[i]).ToList());
        var picked = new FloatMatrix(sample.SelectMany(i => expected.Row(i).ToArray()).ToArray(), sample.Length, expected.Cols);
        var agreement = RowCosine.Compare(got, picked);
        Assert.True(agreement.Min >= 0.9999, $"{name}: {agreement} (row {sample[Math.Max(0, agreement.ArgMin)]})");
    }
}
