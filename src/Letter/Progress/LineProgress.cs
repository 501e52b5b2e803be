namespace Letter.Progress;

/// <summary>Log lines written to a writer as they are reported (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
public sealed class LineProgress(TextWriter writer) : IProgress<string>
{
    public void Report(string value) => writer.WriteLine(value);
}
