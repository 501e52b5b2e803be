using Letter.IO;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Letter.Embeddings;

/// <summary>
/// A BERT-style sentence encoder: WordPiece tokenization (Microsoft.ML.Tokenizers) and an ONNX
/// model (ONNX Runtime) whose output <c>last_hidden_state</c> [batch, tokens, dim] is pooled per text.
/// Texts are encoded in batches of similar token length, so padding costs little.
/// </summary>
public sealed class BertEncoder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly TextEmbedderOptions _options;
    private readonly bool _hasTokenTypes;
    private readonly string _outputName;

    public BertEncoder(TextEmbedderOptions options)
    {
        options.Validate();
        _options = options;
        var bert = new BertOptions
        {
            LowerCaseBeforeTokenization = options.Uncased,
            // Hugging Face's uncased tokenizer strips accents; this needs ICU (InvariantGlobalization false).
            RemoveNonSpacingMarks = options.Uncased,
        };
        using var session = new SessionOptions
        {
            IntraOpNumThreads = options.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Idle ORT workers spin by default; on a shared 2-core machine that burnt about 40 % of the CPU
        // time and halved throughput (docs/benchmarks-embeddings.md).
        if (!options.SpinWaitThreads)
            session.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (options.OnnxFile is null)
        {
            using (var vocab = MiniLmResources.OpenVocab()) _tokenizer = BertTokenizer.Create(vocab, bert);
            _session = new InferenceSession(MiniLmResources.ModelBytes(), session);
            ModelName = MiniLmResources.ModelName;
        }
        else
        {
            RequireFile(options.VocabFile!);
            RequireFile(options.OnnxFile);
            try { _tokenizer = BertTokenizer.Create(options.VocabFile!, bert); }
            catch (Exception e) when (e is not IOException)
            {
                throw new LetterDataException(options.VocabFile!, null, $"not a WordPiece vocabulary: {e.Message}");
            }
            try { _session = new InferenceSession(options.OnnxFile, session); }
            catch (OnnxRuntimeException e)
            {
                throw new LetterDataException(options.OnnxFile, null, $"ONNX Runtime cannot load it: {FirstLine(e.Message)}");
            }
            ModelName = Path.GetFileName(options.OnnxFile);
        }
        var inputs = _session.InputMetadata.Keys.ToHashSet();
        foreach (var needed in new[] { "input_ids", "attention_mask" })
            if (!inputs.Contains(needed))
                throw new LetterDataException(options.OnnxFile ?? ModelName, null,
                    $"the model has no input '{needed}' (inputs: {string.Join(", ", inputs)}); a BERT-style encoder is needed");
        _hasTokenTypes = inputs.Contains("token_type_ids");
        _outputName = _session.OutputMetadata.ContainsKey("last_hidden_state") ? "last_hidden_state" : _session.OutputMetadata.Keys.First();
        var dims = _session.OutputMetadata[_outputName].Dimensions;
        Dimension = dims.Length == 3 && dims[2] > 0 ? dims[2] : 0;
    }

    public string ModelName { get; }

    /// <summary>Output size read from the model; 0 when the model leaves it symbolic (then known after the first batch).</summary>
    public int Dimension { get; private set; }

    /// <summary>Token ids of one text with [CLS] and [SEP], cut to <see cref="TextEmbedderOptions.MaxTokens"/>.</summary>
    public int[] Tokenize(string text)
    {
        var ids = _tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
        int keep = Math.Min(ids.Count, _options.MaxTokens - 2);
        var result = new int[keep + 2];
        result[0] = _tokenizer.ClassificationTokenId;
        for (int i = 0; i < keep; i++) result[i + 1] = ids[i];
        result[keep + 1] = _tokenizer.SeparatorTokenId;
        return result;
    }

    /// <summary>Encodes texts into rows [texts, dim] in input order; <paramref name="progress"/> gets the count done.</summary>
    public FloatMatrix Encode(IReadOnlyList<string> texts, Action<int>? progress = null, CancellationToken cancel = default)
    {
        var tokens = new int[texts.Count][];
        for (int i = 0; i < texts.Count; i++) tokens[i] = Tokenize(texts[i]);
        return EncodeTokens(tokens, progress, cancel);
    }

    public FloatMatrix EncodeTokens(IReadOnlyList<int[]> tokens, Action<int>? progress = null, CancellationToken cancel = default)
    {
        // Stable sort by length: equal-length texts keep input order, so results do not depend on ties.
        var order = Enumerable.Range(0, tokens.Count).OrderBy(i => tokens[i].Length).ToArray();
        float[]? result = null;
        int done = 0;
        for (int start = 0; start < order.Length; start += _options.BatchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var batch = order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start)).ToArray();
            var (hidden, length, dim) = Run(batch.Select(i => tokens[i]).ToArray());
            if (Dimension == 0) Dimension = dim;
            result ??= new float[(long)tokens.Count * dim is var n && n <= int.MaxValue ? (int)n : throw new InvalidOperationException("too many rows")];
            for (int b = 0; b < batch.Length; b++)
                Pooler.Pool(hidden, b, length, dim, tokens[batch[b]].Length, _options.Pooling, _options.Normalize,
                    result.AsSpan(batch[b] * dim, dim));
            done += batch.Length;
            progress?.Invoke(done);
        }
        return new FloatMatrix(result ?? [], tokens.Count, Dimension);
    }

    /// <summary>One ONNX call on a padded batch; returns the hidden states [batch, length, dim].</summary>
    private (float[] Hidden, int Length, int Dim) Run(int[][] batch)
    {
        int length = batch.Max(t => t.Length);
        var ids = new long[batch.Length * length];
        var mask = new long[batch.Length * length];
        for (int b = 0; b < batch.Length; b++)
            for (int t = 0; t < batch[b].Length; t++)
            {
                ids[b * length + t] = batch[b][t];
                mask[b * length + t] = 1;
            }
        long[] shape = [batch.Length, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = _hasTokenTypes ? OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape) : null;
        var names = new List<string> { "input_ids", "attention_mask" };
        var values = new List<OrtValue> { idsValue, maskValue };
        if (typesValue is not null)
        {
            names.Add("token_type_ids");
            values.Add(typesValue);
        }
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, names, values, [_outputName]);
        var output = outputs[0];
        var outShape = output.GetTensorTypeAndShape().Shape;
        if (outShape.Length != 3 || outShape[0] != batch.Length || outShape[1] != length)
            throw new LetterDataException(_options.OnnxFile ?? ModelName, null,
                $"output '{_outputName}' has shape [{string.Join(", ", outShape)}], expected [batch, tokens, dim] = [{batch.Length}, {length}, dim]");
        return (output.GetTensorDataAsSpan<float>().ToArray(), length, (int)outShape[2]);
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
            throw new LetterDataException(path, null, Directory.Exists(path) ? "is a folder, expected a file" : "file not found");
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    public void Dispose() => _session.Dispose();
}
