using System.Text;
using System.Text.Json;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// Records of a JSON-lines file: one object per line. Only the fields asked for with
/// <see cref="Column"/> are kept; a string or number is its text, a list is its strings and numbers
/// (nested lists flattened) joined by the column's separator, null or an object counts as absent.
/// A line that is not a JSON object is a bad row.
/// </summary>
internal sealed class JsonLineRecords : RecordReader
{
    private readonly InputStream _input;
    private readonly LineReader _lines;
    private readonly List<(byte[] Name, string Separator)> _wanted = [];

    public JsonLineRecords(string path, IProgress<ImportProgress>? progress = null) : base(path, progress)
    {
        _input = InputStream.Open(path);
        _lines = new LineReader(_input);
    }

    public override IReadOnlyList<string>? ColumnNames => null;

    public override int Column(string name, string listSeparator = ", ")
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        int i = _wanted.FindIndex(w => w.Name.AsSpan().SequenceEqual(utf8));
        if (i >= 0) return i;
        _wanted.Add((utf8, listSeparator));
        return _wanted.Count - 1;
    }

    protected override (long Bytes, long Total) Position => (_input.Position, _input.Length);

    protected override bool ReadNext(BadRows bad)
    {
        while (_lines.TryRead(out var line))
        {
            if (_lines.LineTooLong)
            {
                Line = _lines.LineNumber;
                bad.Add(File, Line, $"the line is longer than {LineReader.MaxLineBytes >> 20} MiB");
                continue;
            }
            if (line.Trim(" \t"u8).IsEmpty) continue;
            Line = _lines.LineNumber;
            Fields.Reset(_wanted.Count);
            if (Parse(line, out var problem)) return true;
            bad.Add(File, Line, problem);
        }
        return false;
    }

    private bool Parse(ReadOnlySpan<byte> line, out string problem)
    {
        var r = new Utf8JsonReader(line, new JsonReaderOptions { AllowTrailingCommas = true });
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            {
                problem = "expected a JSON object";
                return false;
            }
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                int column = -1;
                for (int i = 0; i < _wanted.Count; i++)
                    if (r.ValueTextEquals(_wanted[i].Name)) { column = i; break; }
                r.Read();
                if (column < 0) r.Skip();
                else Value(ref r, column, _wanted[column].Separator);
            }
            if (r.TokenType != JsonTokenType.EndObject || r.Read())
            {
                problem = "malformed JSON object";
                return false;
            }
            problem = "";
            return true;
        }
        catch (JsonException e)
        {
            var message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            problem = $"malformed JSON: {Quoted.Escape((cut > 0 ? message[..cut] : message).Trim().TrimEnd('.'), 200)}";
            return false;
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader's refusal of an escaped lone surrogate (\udc00) in a field read
            problem = "a string is not text: it holds an escaped lone surrogate (\\uD800-\\uDFFF without its pair) or bytes that are not UTF-8";
            return false;
        }
    }

    private void Value(ref Utf8JsonReader r, int column, string separator)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.String:
                var into = Fields.Reserve(r.HasValueSequence ? (int)r.ValueSequence.Length : r.ValueSpan.Length);
                int n;
                if (!r.ValueIsEscaped && !r.HasValueSequence)
                    n = Utf8Text.GetChars(r.ValueSpan, into);   // bytes that are not UTF-8 stay recognisable (Utf8Text)
                else
                    n = r.CopyString(into);
                Fields.Commit(column, n, separator);
                break;
            case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                var raw = r.ValueSpan;
                var dest = Fields.Reserve(raw.Length);
                for (int i = 0; i < raw.Length; i++) dest[i] = (char)raw[i];
                Fields.Commit(column, raw.Length, separator);
                break;
            case JsonTokenType.StartArray:
                Fields.MarkPresent(column);
                while (r.Read() && r.TokenType != JsonTokenType.EndArray) Value(ref r, column, separator);
                break;
            case JsonTokenType.StartObject:
                r.Skip();
                break;
            // null: absent
        }
    }

    public override void Dispose() => _input.Dispose();
}
