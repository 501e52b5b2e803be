using Letter.Generation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Tests.Kinds;

/// <summary>
/// The model of the test-only "stub-bag" kind: the mean embedding of the history's items (a bag, order
/// ignored) plus an embedding of the token fed last and of the step, through tanh to the logits of the
/// next identifier token. Token 0 ends an identifier, codes follow level by level, and one more row of
/// the token table is the start token.
/// </summary>
internal sealed class StubBagModel : nn.Module
{
    private readonly Embedding _items, _tokens, _steps;
    private readonly Linear _out;
    private readonly int[] _offsets;

    public StubBagModel(int itemCount, int[] codebookSizes, int dim, int maxHistory, Device? device = null) : base("stub_bag")
    {
        ItemCount = itemCount;
        Levels = codebookSizes.Length;
        MaxHistory = maxHistory;
        _offsets = new int[Levels];
        for (int l = 1; l < Levels; l++) _offsets[l] = _offsets[l - 1] + codebookSizes[l - 1];
        VocabularySize = 1 + codebookSizes.Sum();
        // built on the CPU (a seed gives the same weights everywhere), then moved: every tensor on a device named here
        Device = device ?? CPU;
        _items = nn.Embedding(itemCount + 1, dim, padding_idx: itemCount, device: CPU); // the last row pads short histories
        _tokens = nn.Embedding(VocabularySize + 1, dim, device: CPU);
        _steps = nn.Embedding(Levels + 1, dim, device: CPU);
        _out = nn.Linear(dim, VocabularySize, device: CPU);
        RegisterComponents();
        this.to(Device);
    }

    public Device Device { get; }
    public int ItemCount { get; }
    public int Levels { get; }
    public int MaxHistory { get; }
    public int VocabularySize { get; }
    public int StartToken => VocabularySize;
    public int CodeToken(int level, int code) => 1 + _offsets[level] + code;

    /// <summary>The mean item embedding of each history (cut to its last <see cref="MaxHistory"/>): [B, D].</summary>
    public Tensor Bag(IReadOnlyList<int[]> histories)
    {
        var cut = histories.Select(h => h.Length > MaxHistory ? h[^MaxHistory..] : h).ToList();
        int width = Math.Max(1, cut.Max(h => h.Length));
        var ids = new long[cut.Count * width];
        Array.Fill(ids, ItemCount);
        var counts = new float[cut.Count];
        for (int b = 0; b < cut.Count; b++)
        {
            for (int i = 0; i < cut[b].Length; i++) ids[b * width + i] = cut[b][i];
            counts[b] = Math.Max(1, cut[b].Length);
        }
        return _items.forward(tensor(ids, [cut.Count, width], device: Device)).sum(1) / tensor(counts, device: Device).unsqueeze(1);
    }

    /// <summary>Next-token logits [.., V] from bags [.., D], the tokens fed last [..] and their steps [..].</summary>
    public Tensor Logits(Tensor bag, Tensor last, Tensor steps) =>
        _out.forward(tanh(bag + _tokens.forward(last) + _steps.forward(steps)));

    /// <summary>The identifier tokens of each target (codes, then the end token): [B, L+1].</summary>
    public long[] TargetTokens(int[][] codes, IReadOnlyList<int> targets)
    {
        var labels = new long[targets.Count * (Levels + 1)];
        for (int b = 0; b < targets.Count; b++)
        {
            for (int l = 0; l < Levels; l++) labels[b * (Levels + 1) + l] = CodeToken(l, codes[targets[b]][l]);
            labels[b * (Levels + 1) + Levels] = 0;
        }
        return labels;
    }

    /// <summary>Teacher-forced logits [B, L+1, V] of the histories' targets (labels [B, L+1]).</summary>
    public Tensor TeacherForced(IReadOnlyList<int[]> histories, Tensor labels)
    {
        long b = labels.shape[0], t = labels.shape[1];
        var fed = cat([full(b, 1, StartToken, dtype: ScalarType.Int64, device: Device), labels[.., ..(int)(t - 1)]], 1); // [B, T]
        var steps = arange(t, dtype: ScalarType.Int64, device: Device).unsqueeze(0).expand(b, t);
        return Logits(Bag(histories).unsqueeze(1), fed, steps);
    }
}

/// <summary>The stub-bag model behind the generation seam: the bag once per history, then one token per beam per step.</summary>
internal sealed class StubBagGenerator(StubBagModel model) : IIdentifierGenerator
{
    public int VocabularySize => model.VocabularySize;
    public int CodeToken(int level, int code) => model.CodeToken(level, code);
    public int EndToken => 0;
    public int MaxHistory => model.MaxHistory;
    public int InputLength(ReadOnlySpan<int> history) => history.Length;
    public Precision Precision => Precision.Fp32;

    public IGenerationState Start(IReadOnlyList<int[]> histories)
    {
        using var _ = no_grad();
        return new State(model, model.Bag(histories).DetachFromDisposeScope());
    }

    private sealed class State(StubBagModel model, Tensor bag) : IGenerationState
    {
        private Tensor _bag = bag; // [rows, D]
        private int _step;

        public Tensor NextLogits(Tensor? tokens)
        {
            using var _ = no_grad();
            var last = tokens ?? full(_bag.shape[0], model.StartToken, dtype: ScalarType.Int64, device: model.Device);
            var steps = full(_bag.shape[0], _step++, dtype: ScalarType.Int64, device: model.Device);
            return model.Logits(_bag, last, steps);
        }

        public void Reorder(Tensor rows)
        {
            var next = _bag.index_select(0, rows).DetachFromDisposeScope();
            _bag.Dispose();
            _bag = next;
        }

        public void Dispose() => _bag.Dispose();
    }
}
