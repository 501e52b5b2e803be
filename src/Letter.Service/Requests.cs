using System.Text.Json;
using Letter.IO;

namespace Letter.Service;

/// <summary>Which items a recommendation may not return.</summary>
public enum ExcludeMode
{
    /// <summary>The items of the history (the default).</summary>
    Seen,
    None,
    /// <summary>The items listed.</summary>
    List,
}

/// <summary>A parsed <c>POST /v1/recommend</c> body (syntax checked; items are checked against the model later).</summary>
internal sealed record RecommendQuery(int[]? History, string? User, int K, int? Beam, ExcludeMode Exclude, int[]? ExcludeItems, int[]? Candidates);

/// <summary>Strict readers of request bodies: every refusal names the field (a JSON path) and the value.</summary>
internal static class RequestParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    public static JsonDocument Parse(byte[] body)
    {
        if (body.Length == 0) throw new BadRequestException("body", null, "the request body is empty: send a JSON object");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body, DocumentOptions); }
        catch (JsonException e)
        {
            throw new BadRequestException("body", Quoted.Escape(body.AsSpan(0, Math.Min(body.Length, 200)), 200), $"the body is not valid JSON: {e.Message}") { Escaped = true };
        }
        try { StrictJson.Check(body, DocumentOptions.MaxDepth); }
        catch
        {
            doc.Dispose();
            throw;
        }
        return doc;
    }

    public static JsonElement Object(JsonElement e, string field)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Wrong(field, e, "a JSON object");
        return e;
    }

    public static void OnlyKnown(JsonElement obj, string prefix, params string[] known)
    {
        foreach (var p in obj.EnumerateObject())
            if (!known.Contains(p.Name))
                throw new BadRequestException(Path(prefix, p.Name), Raw(p.Value), $"unknown field {Quoted.Quote(p.Name)} (expected {string.Join(", ", known)})");
    }

    public static RecommendQuery Recommend(JsonElement e, string prefix, ServeOptions limits)
    {
        Object(e, prefix.Length == 0 ? "body" : prefix);
        OnlyKnown(e, prefix, "history", "user", "k", "beam", "exclude", "candidates");
        int[]? history = e.TryGetProperty("history", out var h) && h.ValueKind != JsonValueKind.Null ? Items(h, Path(prefix, "history")) : null;
        string? user = null;
        if (e.TryGetProperty("user", out var u) && u.ValueKind != JsonValueKind.Null)
            user = u.ValueKind switch
            {
                JsonValueKind.String => u.GetString(),
                JsonValueKind.Number => u.GetRawText(),
                _ => throw Wrong(Path(prefix, "user"), u, "a user id (string)"),
            };
        if ((history is null) == (user is null))
            throw new BadRequestException(prefix.Length == 0 ? "history" : Path(prefix, "history"), history is null ? null : Raw(h),
                "give exactly one of 'history' (item ids, oldest first) or 'user' (a user id of the run's dataset)");
        if (history is { Length: 0 }) throw new BadRequestException(Path(prefix, "history"), "[]", "the history is empty: give at least one item id");
        int k = Int(e, prefix, "k", 10, 1, limits.MaxK);
        int? beam = e.TryGetProperty("beam", out var b) && b.ValueKind != JsonValueKind.Null ? Int(e, prefix, "beam", 0, 1, limits.MaxBeam) : null;
        var mode = ExcludeMode.Seen;
        int[]? excludeItems = null;
        if (e.TryGetProperty("exclude", out var x) && x.ValueKind != JsonValueKind.Null)
        {
            if (x.ValueKind == JsonValueKind.String)
                mode = x.GetString() switch
                {
                    "seen" => ExcludeMode.Seen,
                    "none" => ExcludeMode.None,
                    _ => throw new BadRequestException(Path(prefix, "exclude"), Raw(x), "exclude is \"seen\" (the history's items, the default), \"none\" or a list of item ids"),
                };
            else if (x.ValueKind == JsonValueKind.Array)
            {
                mode = ExcludeMode.List;
                excludeItems = Items(x, Path(prefix, "exclude"));
            }
            else throw Wrong(Path(prefix, "exclude"), x, "\"seen\", \"none\" or a list of item ids");
        }
        int[]? candidates = null;
        if (e.TryGetProperty("candidates", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            candidates = Items(c, Path(prefix, "candidates"));
            if (candidates.Length == 0) throw new BadRequestException(Path(prefix, "candidates"), "[]", "the candidate list is empty: leave it out to allow every item");
        }
        return new RecommendQuery(history, user, k, beam, mode, excludeItems, candidates);
    }

    public static int Int(JsonElement obj, string prefix, string name, int fallback, int min, int max)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        var field = Path(prefix, name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n)) throw Wrong(field, v, $"an integer between {min} and {max}");
        if (n < min || n > max) throw new BadRequestException(field, Raw(v), $"{name} must be between {min} and {max}");
        return n;
    }

    public static int[] Items(JsonElement v, string field)
    {
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(field, v, "a list of item ids (integers)");
        var items = new int[v.GetArrayLength()];
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id) || id < 0)
                throw Wrong($"{field}[{i}]", item, "an item id (an integer >= 0)");
            items[i++] = id;
        }
        return items;
    }

    public static float[] Floats(JsonElement v, string field)
    {
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(field, v, "a list of numbers");
        var values = new float[v.GetArrayLength()];
        int i = 0;
        foreach (var x in v.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetDouble(out var d) || !double.IsFinite(d) || Math.Abs(d) > float.MaxValue)
                throw Wrong($"{field}[{i}]", x, "a finite number");
            values[i++] = (float)d;
        }
        return values;
    }

    public static BadRequestException Wrong(string field, JsonElement value, string expected) =>
        new(field, Raw(value), $"{field} must be {expected}, not {Describe(value)}");

    public static string Raw(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 200 ? raw : raw[..197] + "...";
    }

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static string Path(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
}
