using Letter.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// LC-Rec behind the generation seam: a history becomes its prompt (BOS + LC-Rec's template), the prompt
/// is run once (prefill) into a key/value cache, and every later step feeds one chosen token per beam.
/// Histories of one <see cref="Start"/> must have prompts of equal length (<see cref="InputLength"/>),
/// so nothing is padded.
/// </summary>
public sealed class LcRecGenerator : IIdentifierGenerator
{
    private readonly LcRecModel _model;

    public LcRecGenerator(LcRecModel model, int maxHistory = 20)
    {
        _model = model;
        MaxHistory = maxHistory;
    }

    public LcRecModel Model => _model;

    public int VocabularySize => _model.Model.VocabularySize;
    public int CodeToken(int level, int code) => _model.CodeTokens[level][code];
    public int EndToken => _model.Tokenizer.Eos;
    public int MaxHistory { get; }
    public int InputLength(ReadOnlySpan<int> history) => _model.PromptTokens(history).Length;
    /// <summary>States only read the shared weights; the prompt cache is concurrent. <see cref="UseBf16"/> is set before sharing.</summary>
    public bool ConcurrentDecoding => true;

    public Precision Precision => _model.Model.EmbeddingWeight.dtype == ScalarType.BFloat16 ? Precision.Bf16 : Precision.Fp32;

    /// <summary>
    /// Decodes in bfloat16 from now on: the weights are converted (irreversibly, so only for a model that
    /// is not trained further; merge adapters first); norms, softmax and beam scores stay fp32. Only
    /// worthwhile on CPUs with native bf16 (avx512_bf16 or AMX).
    /// </summary>
    public void UseBf16() => _model.Model.to(ScalarType.BFloat16);

    public IGenerationState Start(IReadOnlyList<int[]> histories)
    {
        if (histories.Count == 0) throw new ArgumentException("no histories to decode");
        var prompts = histories.Select(h => _model.PromptTokens(h)).ToList();
        int length = prompts[0].Length;
        if (prompts.Any(p => p.Length != length))
            throw new ArgumentException("the histories' prompts differ in length: group them by InputLength");
        return new State(_model.Model, prompts, length);
    }

    private sealed class State : IGenerationState
    {
        private readonly LlamaForCausalLM _lm;
        private readonly KvCache _cache;
        private readonly bool _wasTraining;
        private Tensor? _prompt; // [users, L] until the prefill

        public State(LlamaForCausalLM lm, List<int[]> prompts, int length)
        {
            _lm = lm;
            // decoding runs without LoRA dropout; a model in training (validation between epochs) goes back to it when done
            _wasTraining = lm.training;
            if (_wasTraining) lm.eval(); // a model already in eval mode is not written: other lanes may be reading it
            _cache = new KvCache(lm.Config.NumHiddenLayers);
            _prompt = tensor(prompts.SelectMany(p => p.Select(t => (long)t)).ToArray(), [prompts.Count, length], device: lm.Device).DetachFromDisposeScope();
        }

        public Tensor NextLogits(Tensor? tokens)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor hidden;
            if (tokens is null)
            {
                if (_prompt is null) throw new InvalidOperationException("the prompt was already run: pass the chosen tokens");
                hidden = _lm.Hidden(_prompt, _cache);                              // [users, L, D]
                hidden = hidden.narrow(1, hidden.shape[1] - 1, 1);                  // the last prompt position
                _prompt.Dispose();
                _prompt = null;
            }
            else
            {
                if (_prompt is not null) throw new InvalidOperationException("the first call runs the prompt: pass null");
                hidden = _lm.Hidden(tokens.to_type(ScalarType.Int64).view(-1, 1), _cache); // [rows, 1, D]
            }
            return _lm.Head(hidden.squeeze(1)).to_type(ScalarType.Float32).MoveToOuterDisposeScope(); // [rows, V]
        }

        public void Reorder(Tensor rows)
        {
            using var scope = NewDisposeScope();
            _cache.Reorder(rows.to_type(ScalarType.Int64));
        }

        public void Dispose()
        {
            _prompt?.Dispose();
            _cache.Dispose();
            if (_wasTraining) _lm.train();
        }
    }
}
