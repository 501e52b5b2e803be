using Letter.IO;
using Letter.Models.LcRec;
using Letter.Models.Tiger;
using Letter.Training;

namespace Letter.Kinds;

/// <summary>
/// The recommender kinds a host knows, by name: the one place that lists TIGER and LC-Rec. Hosts find
/// a run's kind here from its run record; a test or an extension registers more on its own registry
/// (or on <see cref="Default"/>, before it is shared).
/// </summary>
public sealed class KindRegistry
{
    private readonly List<RecommenderKind> _kinds = [];
    private readonly object _lock = new();

    /// <summary>The built-in kinds: TIGER (the default of a pipeline) and LC-Rec.</summary>
    public static KindRegistry Default { get; } = new KindRegistry().Register(TigerKind.Instance).Register(LcRecKind.Instance);

    /// <summary>The kind a pipeline trains when its config names none.</summary>
    public const string DefaultKind = TigerKind.KindName;

    public IReadOnlyList<RecommenderKind> All
    {
        get { lock (_lock) return _kinds.ToList(); }
    }

    public IReadOnlyList<string> Names => All.Select(k => k.Name).ToList();

    /// <summary>Adds a kind; its name must be new.</summary>
    public KindRegistry Register(RecommenderKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        lock (_lock)
        {
            if (_kinds.Any(k => k.Name == kind.Name)) throw new ArgumentException($"a recommender kind named '{kind.Name}' is already registered");
            _kinds.Add(kind);
        }
        return this;
    }

    public RecommenderKind? TryFind(string name)
    {
        lock (_lock) return _kinds.FirstOrDefault(k => k.Name == name);
    }

    /// <summary>The kind of a name, or an error naming the known ones (<paramref name="source"/>: the file or setting that named it).</summary>
    public RecommenderKind Find(string name, string source) =>
        TryFind(name) ?? throw new LetterDataException(source, null,
            $"names the recommender kind '{name}', which this version of Letter does not know (known: {string.Join(", ", Names)})");
}
