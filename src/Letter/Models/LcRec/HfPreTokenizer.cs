using System.Globalization;
using System.Text.Json.Nodes;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>A piece of text on its way to the model; <see cref="AtStart"/>: it begins the whole text.</summary>
public readonly record struct TextPiece(string Text, bool AtStart);

/// <summary>
/// The pre-tokenizers of a tokenizer.json that Letter runs (tokenizers' pre_tokenizers): Split (all five
/// delimiter behaviours, invert), ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit and
/// Sequence. Any other type is refused by name when the file is read.
/// </summary>
public abstract class HfPreTokenizer
{
    // GPT-2's pattern, the ByteLevel pre-tokenizer's use_regex
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public abstract void Apply(TextPiece piece, List<TextPiece> output);

    public List<TextPiece> Apply(List<TextPiece> pieces)
    {
        var output = new List<TextPiece>(pieces.Count);
        foreach (var p in pieces) Apply(p, output);
        return output;
    }

    public static HfPreTokenizer? Read(JsonNode? node, string file, string field)
    {
        if (node is null) return null;
        string type = HfJson.Type(node, file, field);
        return type switch
        {
            "Sequence" => new Sequence((node["pretokenizers"] as JsonArray ?? throw new LetterDataException(file, field, "is a Sequence without a pretokenizers list"))
                .Select((n, i) => Read(n, file, $"{field}.pretokenizers[{i}]")!).ToArray()),
            "Split" => new Split(HfJson.Pattern(node, file, field), Behavior(node, file, field), HfJson.Bool(node, "invert", false)),
            "ByteLevel" => new ByteLevel(HfJson.Bool(node, "add_prefix_space", true), HfJson.Bool(node, "use_regex", true)),
            "Metaspace" => new Metaspace(Replacement(node, file, field), PrependScheme(node, file, field), HfJson.Bool(node, "split", true)),
            "Digits" => new Digits(HfJson.Bool(node, "individual_digits", false)),
            "Whitespace" => new Split(HfPattern.FromRegex(@"\w+|[^\w\s]+"), SplitBehavior.Removed, invert: true),
            "WhitespaceSplit" => new Split(HfPattern.FromRegex(@"\s+"), SplitBehavior.Removed, invert: false),
            _ => throw new LetterDataException(file, field, $"is a {type} pre-tokenizer; Letter runs Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit and Sequence"),
        };
    }

    internal static char Replacement(JsonNode node, string file, string field)
    {
        var r = HfJson.StringOrNull(node, "replacement", file, field) ?? "\u2581";
        return r.Length == 1 ? r[0] : throw new LetterDataException(file, $"{field}.replacement", "is not one character");
    }

    /// <summary>Metaspace's prepend_scheme ("always", "first", "never"), or the older add_prefix_space.</summary>
    internal static string PrependScheme(JsonNode node, string file, string field)
    {
        var scheme = HfJson.StringOrNull(node, "prepend_scheme", file, field) ?? (HfJson.Bool(node, "add_prefix_space", true) ? "always" : "never");
        return scheme is "always" or "first" or "never" ? scheme : throw new LetterDataException(file, $"{field}.prepend_scheme", $"is \"{scheme}\"; tokenizers knows always, first and never");
    }

    private static SplitBehavior Behavior(JsonNode node, string file, string field) => HfJson.String(node, "behavior", file, field) switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var b => throw new LetterDataException(file, $"{field}.behavior", $"is \"{b}\", which tokenizers does not define"),
    };

    internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

    /// <summary>Splits at delimiters (the pattern's matches, or what lies between them when inverted).</summary>
    internal static void SplitAt(TextPiece piece, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert, List<TextPiece> output)
    {
        string text = piece.Text;
        var parts = new List<(int Start, int End, bool Delimiter)>();
        int last = 0;
        foreach (var (s, e) in matches)
        {
            if (s > last) parts.Add((last, s, invert));
            parts.Add((s, e, !invert));
            last = e;
        }
        if (last < text.Length) parts.Add((last, text.Length, invert));
        var pieces = new List<(int Start, int End)>();
        switch (behavior)
        {
            case SplitBehavior.Removed:
                pieces.AddRange(parts.Where(p => !p.Delimiter).Select(p => (p.Start, p.End)));
                break;
            case SplitBehavior.Isolated:
                pieces.AddRange(parts.Select(p => (p.Start, p.End)));
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < parts.Count; i++)
                {
                    if (parts[i].Delimiter && i > 0 && parts[i - 1].Delimiter) pieces[^1] = (pieces[^1].Start, parts[i].End);
                    else pieces.Add((parts[i].Start, parts[i].End));
                }
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                bool previousWasText = false;
                foreach (var p in parts)
                {
                    if (p.Delimiter && previousWasText) pieces[^1] = (pieces[^1].Start, p.End);
                    else pieces.Add((p.Start, p.End));
                    previousWasText = !p.Delimiter;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                int? pending = null;
                foreach (var p in parts)
                {
                    if (p.Delimiter)
                    {
                        if (pending is int open) pieces.Add((open, p.Start));
                        pending = p.Start;
                    }
                    else
                    {
                        pieces.Add((pending ?? p.Start, p.End));
                        pending = null;
                    }
                }
                if (pending is int rest) pieces.Add((rest, text.Length));
                break;
            }
        }
        foreach (var (s, e) in pieces)
            if (e > s) output.Add(new TextPiece(text[s..e], piece.AtStart && s == 0));
    }

    private sealed class Sequence(HfPreTokenizer[] parts) : HfPreTokenizer
    {
        public override void Apply(TextPiece piece, List<TextPiece> output)
        {
            var current = new List<TextPiece> { piece };
            foreach (var p in parts) current = p.Apply(current);
            output.AddRange(current);
        }
    }

    private sealed class Split(HfPattern pattern, SplitBehavior behavior, bool invert) : HfPreTokenizer
    {
        public override void Apply(TextPiece piece, List<TextPiece> output) => SplitAt(piece, pattern.Matches(piece.Text), behavior, invert, output);
    }

    /// <summary>Optionally a space prefix and GPT-2's split, then each piece's UTF-8 bytes as alphabet characters.</summary>
    private sealed class ByteLevel(bool addPrefixSpace, bool useRegex) : HfPreTokenizer
    {
        private static readonly HfPattern Gpt2 = HfPattern.FromRegex(Gpt2Pattern);

        public override void Apply(TextPiece piece, List<TextPiece> output)
        {
            var text = addPrefixSpace && !piece.Text.StartsWith(' ') ? " " + piece.Text : piece.Text;
            var split = new List<TextPiece>();
            if (useRegex) SplitAt(piece with { Text = text }, Gpt2.Matches(text), SplitBehavior.Isolated, false, split);
            else split.Add(piece with { Text = text });
            foreach (var p in split) output.Add(p with { Text = ByteLevelAlphabet.Encode(p.Text) });
        }
    }

    /// <summary>Spaces become the replacement ("▁"), prepended as the scheme says, split before each one when asked.</summary>
    private sealed class Metaspace(char replacement, string scheme, bool split) : HfPreTokenizer
    {
        public override void Apply(TextPiece piece, List<TextPiece> output)
        {
            var text = piece.Text.Replace(' ', replacement);
            bool prepend = scheme == "always" || (scheme == "first" && piece.AtStart);
            if (prepend && !text.StartsWith(replacement)) text = replacement + text;
            var replaced = piece with { Text = text };
            if (!split)
            {
                output.Add(replaced);
                return;
            }
            var at = new List<(int, int)>();
            for (int i = 0; i < text.Length; i++)
                if (text[i] == replacement) at.Add((i, i + 1));
            SplitAt(replaced, at, SplitBehavior.MergedWithNext, false, output);
        }
    }

    /// <summary>Digits (Unicode numbers) apart from the rest: each alone, or runs of them.</summary>
    private sealed class Digits(bool individual) : HfPreTokenizer
    {
        public override void Apply(TextPiece piece, List<TextPiece> output)
        {
            var text = piece.Text;
            var matches = new List<(int, int)>();
            for (int i = 0; i < text.Length;)
            {
                int len = char.IsSurrogatePair(text, i) ? 2 : 1;
                if (IsNumber(text, i)) matches.Add((i, i + len));
                i += len;
            }
            SplitAt(piece, matches, individual ? SplitBehavior.Isolated : SplitBehavior.Contiguous, false, output);
        }

        private static bool IsNumber(string text, int i) => CharUnicodeInfo.GetUnicodeCategory(text, i) is
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }
}
