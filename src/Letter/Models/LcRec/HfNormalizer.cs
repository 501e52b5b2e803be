using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>
/// The normalizers of a tokenizer.json that Letter runs (tokenizers' normalizers): NFC, NFD, NFKC,
/// NFKD, Lowercase, Strip, StripAccents, Replace, Prepend and Sequence. Any other type is refused by
/// name when the file is read.
/// </summary>
public abstract class HfNormalizer
{
    public abstract string Apply(string text);

    public static HfNormalizer? Read(JsonNode? node, string file, string field)
    {
        if (node is null) return null;
        string type = HfJson.Type(node, file, field);
        return type switch
        {
            "NFC" => new Unicode(NormalizationForm.FormC),
            "NFD" => new Unicode(NormalizationForm.FormD),
            "NFKC" => new Unicode(NormalizationForm.FormKC),
            "NFKD" => new Unicode(NormalizationForm.FormKD),
            "Lowercase" => new Lowercase(),
            "Strip" => new Strip(HfJson.Bool(node, "left", true), HfJson.Bool(node, "right", true)),
            "StripAccents" => new StripAccents(),
            "Replace" => new Replace(HfJson.Pattern(node, file, field), HfJson.String(node, "content", file, field)),
            "Prepend" => new Prepend(HfJson.String(node, "prepend", file, field)),
            "Sequence" => new Sequence((node["normalizers"] as JsonArray ?? throw new LetterDataException(file, field, "is a Sequence without a normalizers list"))
                .Select((n, i) => Read(n, file, $"{field}.normalizers[{i}]")!).ToArray()),
            _ => throw new LetterDataException(file, field, $"is a {type} normalizer; Letter runs NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend and Sequence"),
        };
    }

    private sealed class Unicode(NormalizationForm form) : HfNormalizer
    {
        // a lone surrogate cannot be normalized; tokenizers' strings cannot hold one either, so leave it
        public override string Apply(string text) => text.IsNormalized(form) ? text : TryNormalize(text);

        private string TryNormalize(string text)
        {
            try { return text.Normalize(form); }
            catch (ArgumentException) { return text; }
        }
    }

    private sealed class Lowercase : HfNormalizer
    {
        public override string Apply(string text) => text.ToLowerInvariant();
    }

    private sealed class Strip(bool left, bool right) : HfNormalizer
    {
        public override string Apply(string text) => left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
    }

    private sealed class StripAccents : HfNormalizer
    {
        public override string Apply(string text) =>
            string.Concat(text.Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark));
    }

    private sealed class Replace(HfPattern pattern, string content) : HfNormalizer
    {
        public override string Apply(string text) => pattern.Replace(text, content);
    }

    // tokenizers prepends only to a non-empty string
    private sealed class Prepend(string prefix) : HfNormalizer
    {
        public override string Apply(string text) => text.Length == 0 ? text : prefix + text;
    }

    private sealed class Sequence(HfNormalizer[] parts) : HfNormalizer
    {
        public override string Apply(string text)
        {
            foreach (var p in parts) text = p.Apply(text);
            return text;
        }
    }
}

/// <summary>A tokenizer.json pattern: {"String": literal} or {"Regex": Oniguruma pattern, run by .NET's engine over code points}.</summary>
public sealed class HfPattern
{
    private readonly string? _literal;
    private readonly Regex? _regex;

    private HfPattern(string? literal, Regex? regex)
    {
        _literal = literal;
        _regex = regex;
    }

    public static HfPattern Literal(string text) => new(text, null);

    public static HfPattern FromRegex(string pattern) => new(null, new Regex(pattern, RegexOptions.CultureInvariant));

    /// <summary>The [start, end) ranges of the matches, left to right, in UTF-16 offsets of <paramref name="text"/>.</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var result = new List<(int, int)>();
        if (_literal is not null)
        {
            if (_literal.Length == 0) return result;
            for (int i = text.IndexOf(_literal, StringComparison.Ordinal); i >= 0; i = text.IndexOf(_literal, i + _literal.Length, StringComparison.Ordinal))
                result.Add((i, i + _literal.Length));
            return result;
        }
        var view = CodePointView.Of(text);
        foreach (Match m in _regex!.Matches(view.Text))
            if (m.Length > 0) result.Add((view.Offset(m.Index), view.Offset(m.Index + m.Length)));
        return result;
    }

    public string Replace(string text, string content)
    {
        var matches = Matches(text);
        if (matches.Count == 0) return text;
        var sb = new StringBuilder();
        int last = 0;
        foreach (var (s, e) in matches)
        {
            sb.Append(text, last, s - last).Append(content);
            last = e;
        }
        return sb.Append(text, last, text.Length - last).ToString();
    }
}

/// <summary>
/// Text with each character outside the Basic Multilingual Plane replaced by one BMP character of the
/// same class (letter, digit, other): .NET's regex engine sees UTF-16 units, so an astral letter
/// would otherwise be two surrogates that \p{L} does not match, where Oniguruma sees one letter.
/// </summary>
internal readonly struct CodePointView
{
    private readonly int[]? _offsets; // view index -> offset in the original text (one past the end included)

    private CodePointView(string text, int[]? offsets)
    {
        Text = text;
        _offsets = offsets;
    }

    public string Text { get; }

    public int Offset(int viewIndex) => _offsets is null ? viewIndex : _offsets[viewIndex];

    public static CodePointView Of(string text)
    {
        bool astral = false;
        foreach (var c in text)
            if (char.IsSurrogate(c)) { astral = true; break; }
        if (!astral) return new CodePointView(text, null);
        var sb = new StringBuilder(text.Length);
        var offsets = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
        {
            offsets.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var category = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]));
                sb.Append(Stand(category));
                i++;
            }
            else sb.Append(text[i]);
        }
        offsets.Add(text.Length);
        return new CodePointView(sb.ToString(), offsets.ToArray());
    }

    // representatives that no contraction pattern ('s, 't, ...) or space class can mistake
    private static char Stand(System.Globalization.UnicodeCategory c) => c switch
    {
        System.Globalization.UnicodeCategory.UppercaseLetter => 'X',
        System.Globalization.UnicodeCategory.LowercaseLetter => 'x',
        System.Globalization.UnicodeCategory.TitlecaseLetter => '\u01C5',
        System.Globalization.UnicodeCategory.ModifierLetter => '\u02B0',
        System.Globalization.UnicodeCategory.OtherLetter => '\u3042',
        System.Globalization.UnicodeCategory.DecimalDigitNumber => '0',
        System.Globalization.UnicodeCategory.LetterNumber => '\u2160',
        System.Globalization.UnicodeCategory.OtherNumber => '\u00B2',
        System.Globalization.UnicodeCategory.NonSpacingMark => '\u0301',
        System.Globalization.UnicodeCategory.SpacingCombiningMark => '\u0903',
        System.Globalization.UnicodeCategory.EnclosingMark => '\u20DD',
        _ => '\u00A6', // a symbol: not a letter, digit or space
    };
}
