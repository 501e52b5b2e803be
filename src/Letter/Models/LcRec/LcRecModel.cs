using Letter.Data;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// A language model prepared for LC-Rec: the base model with one new token per identifier code (the
/// embedding and head widened, new rows from <see cref="IdentifierTokens.NewRows"/>), its tokenizer
/// knowing those tokens, and the item index that spells items with them.
/// </summary>
public sealed class LcRecModel : IDisposable
{
    // concurrent: decoder lanes ask for prompts from several threads
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _promptCache = new(StringComparer.Ordinal);

    private readonly bool _ownsModel;

    private LcRecModel(LlamaForCausalLM model, LlmTokenizer tokenizer, ItemIndex index, int baseRows, bool ownsModel = true)
    {
        _ownsModel = ownsModel;
        Model = model;
        Tokenizer = tokenizer;
        Index = index;
        BaseRows = baseRows;
        var sizes = index.CodebookSizes();
        CodeTokens = Enumerable.Range(0, index.Levels).Select(l => Enumerable.Range(0, sizes[l]).Select(c => tokenizer.TokenId(index.Token(l, c))).ToArray()).ToArray();
    }

    public LlamaForCausalLM Model { get; }
    public LlmTokenizer Tokenizer { get; }
    public ItemIndex Index { get; }
    /// <summary>Embedding rows of the base model; rows from here on are the identifier tokens (and any padding).</summary>
    public int BaseRows { get; }
    /// <summary>[level][code] -> token id.</summary>
    public int[][] CodeTokens { get; }

    /// <summary>Builds the model from a base checkpoint; new rows are seeded by <paramref name="seed"/>.</summary>
    public static LcRecModel Create(LlmCheckpoint checkpoint, ItemIndex index, long seed)
    {
        var tokenizer = checkpoint.Tokenizer ?? throw new Letter.IO.LetterDataException(checkpoint.Source, null, "has no tokenizer (tokenizer.json)");
        int baseRows = (int)checkpoint.Tensors["model.embed_tokens.weight"].shape[0];
        if (tokenizer.Count > tokenizer.BaseCount)
            throw new ArgumentException("the checkpoint's tokenizer already holds added tokens: load the checkpoint afresh");
        tokenizer.AddTokens(IdentifierTokens.For(index));
        // new tokens take ids after the tokenizer's (as Hugging Face's add_tokens); rows already beyond it (padding) stay
        int vocab = Math.Max(baseRows, tokenizer.Count);
        var config = checkpoint.Config with { VocabSize = vocab };
        var model = new LlamaForCausalLM(config);
        long rowSeed = seed;
        LlmCheckpoint.LoadInto(model, checkpoint.Tensors, checkpoint.Source, (existing, count) => IdentifierTokens.NewRows(existing, count, rowSeed++));
        return new LcRecModel(model, tokenizer, index, baseRows);
    }

    /// <summary>The prompt of a history with the special tokens the tokenizer adds (BOS for LLaMA, none for Qwen), cached by history.</summary>
    public int[] PromptTokens(ReadOnlySpan<int> history)
    {
        var key = string.Join(',', history.ToArray());
        if (!_promptCache.TryGetValue(key, out var ids))
        {
            ids = Tokenizer.Encode(LcRecPrompt.Format(Index, history), addSpecialTokens: true);
            if (_promptCache.Count < 1_000_000) _promptCache.TryAdd(key, ids);
        }
        return ids;
    }

    /// <summary>An item's response tokens: its code tokens, then EOS.</summary>
    public int[] ResponseTokens(int item)
    {
        var codes = Index.Codes[item];
        var r = new int[codes.Length + 1];
        for (int l = 0; l < codes.Length; l++) r[l] = CodeTokens[l][codes[l]];
        r[^1] = Tokenizer.Eos;
        return r;
    }

    /// <summary>
    /// The same weights and tokenizer spelling items by another index (the run's items and items added
    /// since, whose codes lie within the run's codebooks); the view does not own the weights.
    /// </summary>
    public LcRecModel WithIndex(ItemIndex index)
    {
        var sizes = index.CodebookSizes();
        var known = Index.CodebookSizes();
        if (index.Levels != Index.Levels || sizes.Where((n, l) => n > known[l]).Any())
            throw new ArgumentException($"the index's codebooks ({string.Join(", ", sizes)}) exceed the model's identifier tokens ({string.Join(", ", known)})");
        return new LcRecModel(Model, Tokenizer, index, BaseRows, ownsModel: false);
    }

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
