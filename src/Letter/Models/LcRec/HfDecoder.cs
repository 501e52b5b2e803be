using System.Text;
using System.Text.Json.Nodes;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>
/// The decoders of a tokenizer.json that Letter runs (tokenizers' decoders, each a step from a list of
/// token strings to a list of strings, joined at the end): ByteLevel (bytes gathered across tokens, so
/// a character split over several tokens comes back whole), ByteFallback, Replace, Fuse, Strip,
/// Metaspace and Sequence. Any other type is refused by name when the file is read.
/// </summary>
public abstract class HfDecoder
{
    public abstract List<string> Apply(List<string> tokens);

    public static HfDecoder? Read(JsonNode? node, string file, string field)
    {
        if (node is null) return null;
        string type = HfJson.Type(node, file, field);
        return type switch
        {
            "ByteLevel" => new ByteLevel(),
            "ByteFallback" => new ByteFallback(),
            "Fuse" => new Fuse(),
            "Replace" => new Replace(HfJson.Pattern(node, file, field), HfJson.String(node, "content", file, field)),
            "Strip" => new Strip(StripContent(node, file, field), HfJson.Int(node, "start", 0, file, field), HfJson.Int(node, "stop", 0, file, field)),
            "Metaspace" => new Metaspace(HfPreTokenizer.Replacement(node, file, field), HfPreTokenizer.PrependScheme(node, file, field) != "never"),
            "Sequence" => new Sequence((node["decoders"] as JsonArray ?? throw new LetterDataException(file, field, "is a Sequence without a decoders list"))
                .Select((n, i) => Read(n, file, $"{field}.decoders[{i}]")!).ToArray()),
            _ => throw new LetterDataException(file, field, $"is a {type} decoder; Letter runs ByteLevel, ByteFallback, Replace, Fuse, Strip, Metaspace and Sequence"),
        };
    }

    private static char StripContent(JsonNode node, string file, string field)
    {
        var c = HfJson.String(node, "content", file, field);
        return c.Length == 1 ? c[0] : throw new LetterDataException(file, $"{field}.content", "is not one character");
    }

    /// <summary>Every token's bytes through the byte-level alphabet, then one string (invalid UTF-8 as U+FFFD, as from_utf8_lossy).</summary>
    private sealed class ByteLevel : HfDecoder
    {
        public override List<string> Apply(List<string> tokens)
        {
            var bytes = new List<byte>();
            foreach (var t in tokens) ByteLevelAlphabet.Decode(t, bytes);
            return [Encoding.UTF8.GetString(bytes.ToArray())];
        }
    }

    /// <summary>Runs of byte tokens &lt;0xNN&gt; become their UTF-8 text, or one U+FFFD per byte when the run is not valid UTF-8.</summary>
    private sealed class ByteFallback : HfDecoder
    {
        private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

        public override List<string> Apply(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            var run = new List<byte>();
            void Flush()
            {
                if (run.Count == 0) return;
                try { result.Add(Strict.GetString(run.ToArray())); }
                catch (DecoderFallbackException) { result.AddRange(Enumerable.Repeat("\uFFFD", run.Count)); }
                run.Clear();
            }
            foreach (var t in tokens)
            {
                if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                    byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
                {
                    run.Add(b);
                    continue;
                }
                Flush();
                result.Add(t);
            }
            Flush();
            return result;
        }
    }

    private sealed class Fuse : HfDecoder
    {
        public override List<string> Apply(List<string> tokens) => [string.Concat(tokens)];
    }

    private sealed class Replace(HfPattern pattern, string content) : HfDecoder
    {
        public override List<string> Apply(List<string> tokens) => tokens.Select(t => pattern.Replace(t, content)).ToList();
    }

    /// <summary>Up to <paramref name="start"/> leading and <paramref name="stop"/> trailing occurrences of a character off each token.</summary>
    private sealed class Strip(char content, int start, int stop) : HfDecoder
    {
        public override List<string> Apply(List<string> tokens) => tokens.Select(t =>
        {
            int s = 0, e = t.Length;
            while (s < start && s < e && t[s] == content) s++;
            for (int i = 0; i < stop && e > s && t[e - 1] == content; i++) e--;
            return t[s..e];
        }).ToList();
    }

    /// <summary>The replacement back to spaces; the first token loses its leading one when a prefix was prepended.</summary>
    private sealed class Metaspace(char replacement, bool prepended) : HfDecoder
    {
        public override List<string> Apply(List<string> tokens) => tokens.Select((t, i) =>
        {
            if (i == 0 && prepended && t.Length > 0 && t[0] == replacement) t = t[1..];
            return t.Replace(replacement, ' ');
        }).ToList();
    }

    private sealed class Sequence(HfDecoder[] parts) : HfDecoder
    {
        public override List<string> Apply(List<string> tokens)
        {
            foreach (var p in parts) tokens = p.Apply(tokens);
            return tokens;
        }
    }
}
