using Letter.Generation;
using Letter.Models.Tiger;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

/// <summary>
/// A reference generation state with no cache at all: every step runs the model's teacher-forced forward (the
/// training path, <see cref="TigerModel.Decode"/>) over each row's whole prefix, pad first, and takes the last
/// position's logits. Slow and independent of the incremental decoder it checks.
/// </summary>
internal sealed class TeacherForcedState : IGenerationState
{
    private readonly TigerModel _model;
    private readonly Tensor _encoded;          // [B, L, D]
    private readonly Tensor? _padding;         // [B, 1, 1, L] or null
    private readonly long _users;
    private List<long>[] _prefixes = [];       // per row, the tokens generated so far
    private long[] _userOfRow = [];

    public TeacherForcedState(TigerModel model, Tensor ids)
    {
        _model = model;
        model.eval();
        _users = ids.shape[0];
        _encoded = model.Encode(ids).DetachFromDisposeScope();
        _padding = TigerModel.PaddingBias(ids)?.DetachFromDisposeScope();
    }

    public static TeacherForcedState Start(TigerGenerator generator, IReadOnlyList<int[]> histories)
    {
        using var scope = NewDisposeScope();
        var encoded = histories.Select(h => generator.Vocabulary.EncodeHistory(generator.Index, h)).ToList();
        var rows = Enumerable.Range(0, encoded.Count).ToArray();
        var ids = generator.PadInputs ? TigerBatch.StackPadded(encoded, rows, generator.Model.Device) : TigerBatch.Stack(encoded, rows, generator.Model.Device);
        return new TeacherForcedState(generator.Model, ids);
    }

    public Tensor NextLogits(Tensor? tokens)
    {
        using var scope = NewDisposeScope();
        if (tokens is null)
        {
            _prefixes = Enumerable.Range(0, (int)_users).Select(_ => new List<long>()).ToArray();
            _userOfRow = Enumerable.Range(0, (int)_users).Select(u => (long)u).ToArray();
        }
        else
        {
            var chosen = tokens.cpu().data<long>().ToArray();
            for (int r = 0; r < chosen.Length; r++) _prefixes[r].Add(chosen[r]);
        }
        int t = _prefixes[0].Count;
        var input = tensor(_prefixes.SelectMany(p => p.Prepend(TigerVocabulary.Pad)).ToArray(), device: _model.Device).view(_prefixes.Length, t + 1);
        var users = tensor(_userOfRow, device: _model.Device);
        var logits = _model.Decode(input, _encoded.index_select(0, users), _padding?.index_select(0, users)); // [rows, t + 1, V]
        return logits.select(1, t).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public void Reorder(Tensor rows)
    {
        var picked = rows.cpu().data<long>().ToArray();
        _prefixes = picked.Select(r => _prefixes[r].ToList()).ToArray();
        _userOfRow = picked.Select(r => _userOfRow[r]).ToArray();
    }

    public void Dispose()
    {
        _encoded.Dispose();
        _padding?.Dispose();
    }
}
