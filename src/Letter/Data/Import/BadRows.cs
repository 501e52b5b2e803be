using Letter.IO;

namespace Letter.Data.Import;

/// <summary>A row that could not be read, with where it is.</summary>
public sealed record BadRow(string File, long Line, string Problem);

/// <summary>
/// Counts bad rows and keeps the first few for the report; in strict mode the first one is an error.
/// </summary>
internal sealed class BadRows(bool strict, int keep)
{
    private readonly List<BadRow> _examples = [];

    public long Count { get; private set; }
    public IReadOnlyList<BadRow> Examples => _examples;

    public void Add(string file, long line, string problem)
    {
        if (strict) throw new LetterDataException(file, $"line {line}", problem);
        Count++;
        if (_examples.Count < keep) _examples.Add(new BadRow(file, line, problem));
    }
}
