using Letter.Generation;
using static TorchSharp.torch;

namespace Letter.Tests.Generation;

/// <summary>
/// A generator with no model: the logit of token v for a row is a fixed function of the row's user
/// (its history's first item), the token it was fed last and the step, so a beam's score can be
/// recomputed by hand and a wrong reorder of the rows shows up in the scores.
/// </summary>
internal sealed class StubGenerator(int levels, int codes) : IIdentifierGenerator
{
    public int VocabularySize => 1 + levels * codes;
    public int CodeToken(int level, int code) => 1 + level * codes + code;
    public int EndToken => 0;
    public int MaxHistory => 5;
    public int InputLength(ReadOnlySpan<int> history) => history.Length;
    public Precision Precision => Precision.Fp32;
    public int Starts { get; private set; }

    public static double Logit(int user, int last, int step, int token) => Math.Sin(user * 1.3 + last * 0.7 + token * 2.1 + step * 0.37);

    /// <summary>The log-softmax of <see cref="Logit"/> over the whole vocabulary, in double precision.</summary>
    public double LogProb(int user, int last, int step, int token)
    {
        double max = double.NegativeInfinity;
        for (int v = 0; v < VocabularySize; v++) max = Math.Max(max, Logit(user, last, step, v));
        double sum = 0;
        for (int v = 0; v < VocabularySize; v++) sum += Math.Exp(Logit(user, last, step, v) - max);
        return Logit(user, last, step, token) - max - Math.Log(sum);
    }

    /// <summary>The score of a whole token sequence for a user (the start token is -1).</summary>
    public double Score(int user, int[] tokens)
    {
        double s = 0;
        int last = -1;
        for (int t = 0; t < tokens.Length; t++) { s += LogProb(user, last, t, tokens[t]); last = tokens[t]; }
        return s;
    }

    public IGenerationState Start(IReadOnlyList<int[]> histories)
    {
        Starts++;
        return new State(this, histories.Select(h => h[0]).ToArray());
    }

    private sealed class State(StubGenerator g, int[] users) : IGenerationState
    {
        private int[] _user = users;   // per row
        private int[] _last = users.Select(_ => -1).ToArray();
        private int _step;

        public Tensor NextLogits(Tensor? tokens)
        {
            if (tokens is not null) _last = tokens.data<long>().Select(t => (int)t).ToArray();
            if (_last.Length != _user.Length) throw new InvalidOperationException($"{_last.Length} tokens for {_user.Length} rows");
            var logits = new float[_user.Length * g.VocabularySize];
            for (int r = 0; r < _user.Length; r++)
                for (int v = 0; v < g.VocabularySize; v++) logits[r * g.VocabularySize + v] = (float)Logit(_user[r], _last[r], _step, v);
            _step++;
            return tensor(logits, [_user.Length, g.VocabularySize]);
        }

        public void Reorder(Tensor rows)
        {
            var pick = rows.data<long>().Select(r => (int)r).ToArray();
            _user = pick.Select(r => _user[r]).ToArray();
            _last = pick.Select(r => _last[r]).ToArray();
        }

        public void Dispose() { }
    }
}
