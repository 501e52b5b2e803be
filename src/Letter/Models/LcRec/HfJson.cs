using System.Text.Json.Nodes;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>Reading the parts of a tokenizer.json, every problem named by file and field.</summary>
internal static class HfJson
{
    public static string Type(JsonNode node, string file, string field) =>
        node is JsonObject o && o["type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new LetterDataException(file, field, "has no \"type\"");

    public static string String(JsonNode node, string key, string file, string field) =>
        node[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new LetterDataException(file, $"{field}.{key}", "is missing or not a string");

    public static string? StringOrNull(JsonNode node, string key, string file, string field) => node[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new LetterDataException(file, $"{field}.{key}", "is not a string"),
    };

    public static bool Bool(JsonNode node, string key, bool fallback) =>
        node[key] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : fallback;

    public static int Int(JsonNode node, string key, int fallback, string file, string field) => node[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= 0 and <= int.MaxValue => (int)d,
        _ => throw new LetterDataException(file, $"{field}.{key}", "is not an integer"),
    };

    public static HfPattern Pattern(JsonNode node, string file, string field)
    {
        var p = node["pattern"];
        if (p?["String"] is JsonValue s && s.TryGetValue<string>(out var literal)) return HfPattern.Literal(literal);
        if (p?["Regex"] is JsonValue r && r.TryGetValue<string>(out var regex))
        {
            try { return HfPattern.FromRegex(regex); }
            catch (ArgumentException e) { throw new LetterDataException(file, $"{field}.pattern", $"is a regex .NET cannot compile ({e.Message})"); }
        }
        throw new LetterDataException(file, $"{field}.pattern", "is neither {\"String\": ...} nor {\"Regex\": ...}");
    }
}
