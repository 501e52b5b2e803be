using System.Globalization;
using System.Text;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// Records of a file whose lines are Python dict literals (the Amazon 2014 metadata, written with
/// Python's <c>str(dict)</c>), read by a small parser of literals, never evaluated. It knows
/// strings (single, double or triple quoted, <c>u</c>/<c>b</c>/<c>r</c> prefixes, adjacent strings
/// joined, Python's escapes), numbers, True, False, None, lists, tuples, sets and dicts; anything
/// else (a name, a call, an operator) is a bad row. Top-level keys asked for with
/// <see cref="Column"/> are kept as <see cref="JsonLineRecords"/> keeps them. Runs of <c>\xNN</c>
/// escapes that form valid UTF-8 are decoded as UTF-8 (Python 2 wrote UTF-8 bytes that way), others
/// as Latin-1, as Python 3 reads them. Input cannot drive the parser past fixed limits: containers
/// nest at most <see cref="MaxDepth"/> deep (the recursion is bounded by it), a record holds at most
/// <see cref="MaxValues"/> values and a line at most <see cref="LineReader.MaxLineBytes"/>; a
/// record beyond them is a bad row (an error in strict mode).
/// </summary>
internal sealed class PythonLiteralRecords : RecordReader
{
    /// <summary>The deepest nesting of lists, tuples, sets and dicts read; the Amazon metadata nests 3 deep.</summary>
    public const int MaxDepth = 100;

    /// <summary>The most values one record may hold (each costs an object), so a long line of <c>0,0,0,...</c> cannot take gigabytes.</summary>
    public const int MaxValues = 1_000_000;

    private readonly InputStream _input;
    private readonly LineReader _lines;
    private readonly List<(string Name, string Separator)> _wanted = [];
    private char[] _text = new char[1024];
    private int _length, _pos, _depth, _values;
    private readonly StringBuilder _string = new();
    private readonly List<byte> _escapedBytes = [];

    public PythonLiteralRecords(string path, IProgress<ImportProgress>? progress = null) : base(path, progress)
    {
        _input = InputStream.Open(path);
        _lines = new LineReader(_input);
    }

    public override IReadOnlyList<string>? ColumnNames => null;

    public override int Column(string name, string listSeparator = ", ")
    {
        int i = _wanted.FindIndex(w => w.Name == name);
        if (i >= 0) return i;
        _wanted.Add((name, listSeparator));
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
            if (_text.Length < line.Length) _text = new char[line.Length * 2];
            _length = Utf8Text.GetChars(line, _text);
            _pos = _depth = _values = 0;
            Fields.Reset(_wanted.Count);
            try
            {
                TopLevel();
                return true;
            }
            catch (FormatException e)
            {
                bad.Add(File, Line, $"not a Python literal: {e.Message}");
            }
        }
        return false;
    }

    /// <summary>Parses a whole line as one literal (testing aid and the core of <see cref="ReadNext"/>).</summary>
    internal static object? ParseValue(string text)
    {
        var p = new PythonLiteralRecords();
        p._text = text.ToCharArray();
        p._length = text.Length;
        var v = p.Value();
        p.SkipSpace();
        if (p._pos < p._length) throw p.Error("unexpected text after the value");
        return v;
    }

    private PythonLiteralRecords() : base("", null)
    {
        _input = null!;
        _lines = null!;
    }

    private void TopLevel()
    {
        SkipSpace();
        Expect('{');
        _depth = 1;
        SkipSpace();
        while (Peek() != '}')
        {
            var key = Value();
            SkipSpace();
            Expect(':');
            int column = key is string k ? _wanted.FindIndex(w => w.Name == k) : -1;
            var value = Value();
            if (column >= 0) Store(column, value, _wanted[column].Separator);
            SkipSpace();
            if (Peek() == ',') { _pos++; SkipSpace(); }
            else if (Peek() != '}') throw Error("expected ',' or '}'");
        }
        _pos++;
        SkipSpace();
        if (_pos < _length) throw Error("unexpected text after the closing '}'");
    }

    private void Store(int column, object? value, string separator)
    {
        switch (value)
        {
            case null or Dictionary<object, object?>: return;
            case string s: Fields.Set(column, s, separator); return;
            case List<object?> list:
                Fields.MarkPresent(column);
                foreach (var v in list) Store(column, v, separator);
                return;
            default: Fields.Set(column, Convert.ToString(value, CultureInfo.InvariantCulture), separator); return;
        }
    }

    /// <summary>A literal: string, number (kept as its text in a <see cref="PythonNumber"/>), bool, None, list/tuple/set (as lists) or dict.</summary>
    private object? Value()
    {
        SkipSpace();
        if (++_values > MaxValues) throw Error($"the record holds more than {MaxValues:N0} values");
        char c = Peek();
        switch (c)
        {
            case '{': return DictOrSet();
            case '[': _pos++; return Sequence(']');
            case '(': _pos++; return Sequence(')');
            case '\'' or '"': return Strings();
        }
        if (char.IsAsciiLetter(c) || c == '_')
        {
            int start = _pos;
            while (_pos < _length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
            var word = new string(_text, start, _pos - start);
            if (_pos < _length && _text[_pos] is '\'' or '"' && word.ToLowerInvariant() is "u" or "b" or "r" or "ur" or "br" or "rb")
                return Strings(start);
            return word switch
            {
                // JSON's spellings too: some releases of the metadata were rewritten as JSON
                "True" or "true" => true,
                "False" or "false" => false,
                "None" or "null" => null,
                _ => throw Error($"{Quoted.Quote(word, 40)} is not a literal", start),
            };
        }
        if (char.IsAsciiDigit(c) || c is '-' or '+' or '.') return Number();
        throw Error(_pos >= _length ? "the line ends inside a value" : $"unexpected {Quoted.Quote(c.ToString())}");
    }

    private object DictOrSet()
    {
        Enter();
        _pos++;
        SkipSpace();
        var dict = new Dictionary<object, object?>();
        List<object?>? set = null;
        while (Peek() != '}')
        {
            var key = Value();
            SkipSpace();
            if (set is null && Peek() == ':')
            {
                _pos++;
                dict[key ?? "None"] = Value();
            }
            else
            {
                if (dict.Count > 0) throw Error("expected ':'");
                (set ??= []).Add(key);
            }
            SkipSpace();
            if (Peek() == ',') { _pos++; SkipSpace(); }
            else if (Peek() != '}') throw Error("expected ',' or '}'");
        }
        _pos++;
        _depth--;
        return set is null ? dict : set;
    }

    private List<object?> Sequence(char close)
    {
        Enter();
        var list = new List<object?>();
        SkipSpace();
        while (Peek() != close)
        {
            list.Add(Value());
            SkipSpace();
            if (Peek() == ',') { _pos++; SkipSpace(); }
            else if (Peek() != close) throw Error($"expected ',' or '{close}'");
        }
        _pos++;
        _depth--;
        return list;
    }

    /// <summary>One level deeper; the limit keeps the recursion of <see cref="Value"/> within a fixed stack.</summary>
    private void Enter()
    {
        if (++_depth > MaxDepth) throw Error($"values nest deeper than {MaxDepth} levels");
    }

    private PythonNumber Number()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+') _pos++;
        while (_pos < _length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '.' or '_'
               || (_text[_pos] is '-' or '+' && _text[_pos - 1] is 'e' or 'E'))) _pos++;
        var s = new string(_text, start, _pos - start);
        if (!double.TryParse(s.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && !(s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || s.EndsWith('L') || s.EndsWith('j')))
            throw Error($"{Quoted.Quote(s, 40)} is not a number", start);
        return new PythonNumber(s);
    }

    /// <summary>One or more adjacent string literals, joined (Python's implicit concatenation).</summary>
    private string Strings(int? prefixStart = null)
    {
        _string.Clear();
        int at = prefixStart ?? _pos;
        _pos = at;
        while (true)
        {
            bool raw = false;
            while (_pos < _length && char.IsAsciiLetter(_text[_pos]))
            {
                if (_text[_pos] is 'r' or 'R') raw = true;
                _pos++;
            }
            OneString(raw);
            int save = _pos;
            SkipSpace();
            int p = _pos;
            while (p < _length && p - _pos < 2 && _text[p] is 'u' or 'U' or 'b' or 'B' or 'r' or 'R') p++;
            if (p < _length && _text[p] is '\'' or '"') continue;
            _pos = save;
            return _string.ToString();
        }
    }

    private void OneString(bool raw)
    {
        if (_pos >= _length || _text[_pos] is not ('\'' or '"')) throw Error("expected a string");
        char q = _text[_pos];
        bool triple = _pos + 2 < _length && _text[_pos + 1] == q && _text[_pos + 2] == q;
        _pos += triple ? 3 : 1;
        while (true)
        {
            if (_pos >= _length) throw Error("the line ends inside a string");
            char c = _text[_pos];
            if (c == q && (!triple || (_pos + 2 < _length && _text[_pos + 1] == q && _text[_pos + 2] == q)))
            {
                FlushBytes();
                _pos += triple ? 3 : 1;
                return;
            }
            if (c == '\\' && _pos + 1 < _length)
            {
                if (raw) { FlushBytes(); _string.Append(c).Append(_text[_pos + 1]); _pos += 2; continue; }
                Escape();
                continue;
            }
            FlushBytes();
            _string.Append(c);
            _pos++;
        }
    }

    private void Escape()
    {
        char e = _text[_pos + 1];
        _pos += 2;
        if (e == 'x')
        {
            _escapedBytes.Add((byte)Hex(2));
            return;
        }
        FlushBytes();
        switch (e)
        {
            case '\\' or '\'' or '"': _string.Append(e); break;
            case 'n': _string.Append('\n'); break;
            case 't': _string.Append('\t'); break;
            case 'r': _string.Append('\r'); break;
            case 'a': _string.Append('\a'); break;
            case 'b': _string.Append('\b'); break;
            case 'f': _string.Append('\f'); break;
            case 'v': _string.Append('\v'); break;
            case 'u': _string.Append((char)Hex(4)); break;
            case 'U':
                int code = Hex(8);
                if (code > 0x10FFFF) throw Error($"bad escape: \\U{code:x8} is beyond Unicode", _pos - 10);
                if (code is >= 0xD800 and <= 0xDFFF) _string.Append((char)code);  // a lone surrogate, as Python keeps it
                else _string.Append(char.ConvertFromUtf32(code));
                break;
            case >= '0' and <= '7':
                int v = e - '0';
                for (int i = 0; i < 2 && _pos < _length && _text[_pos] is >= '0' and <= '7'; i++) v = v * 8 + (_text[_pos++] - '0');
                _string.Append((char)v);
                break;
            default: _string.Append('\\').Append(e); break;  // Python keeps unknown escapes as written
        }
    }

    private int Hex(int digits)
    {
        if (_pos + digits > _length || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
            throw Error("bad escape");
        _pos += digits;
        return v;
    }

    private void FlushBytes()
    {
        if (_escapedBytes.Count == 0) return;
        var bytes = _escapedBytes.ToArray();
        _escapedBytes.Clear();
        try
        {
            _string.Append(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            _string.Append(Encoding.Latin1.GetString(bytes));
        }
    }

    private void SkipSpace()
    {
        while (_pos < _length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }

    private char Peek() => _pos < _length ? _text[_pos] : '\0';

    private void Expect(char c)
    {
        if (Peek() != c) throw Error($"expected '{c}'");
        _pos++;
    }

    private FormatException Error(string problem, int? at = null) =>
        new($"{problem} at character {(at ?? _pos) + 1}");

    public override void Dispose() => _input?.Dispose();
}

/// <summary>A Python number literal, kept as written.</summary>
internal sealed record PythonNumber(string Text)
{
    public override string ToString() => Text;
}
