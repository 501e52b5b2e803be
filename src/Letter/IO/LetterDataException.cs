namespace Letter.IO;

/// <summary>
/// Malformed or inconsistent input. The CLI prints <see cref="Exception.Message"/> as one line and
/// exits with code 2, so the message always names the file, the record (when there is one) and the
/// problem.
/// </summary>
public sealed class LetterDataException : Exception
{
    public LetterDataException(string file, string? record, string problem, Exception? inner = null)
        : base(Format(file, record, problem), inner)
    {
        File = file;
        Record = record;
        Problem = problem;
    }

    public string File { get; }
    public string? Record { get; }
    public string Problem { get; }

    private static string Format(string file, string? record, string problem) =>
        record is null ? $"{file}: {problem}" : $"{file}: {record}: {problem}";
}
