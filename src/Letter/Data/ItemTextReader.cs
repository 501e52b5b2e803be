using System.Text.Json;
using Letter.IO;

namespace Letter.Data;

/// <summary>
/// Reads <c>NAME.item.json</c>: <c>{"item id": {"title": ..., "description": ..., ...}}</c>. String
/// fields are kept; a field holding a list of strings (e.g. categories) is joined with ", ".
/// </summary>
public static class ItemTextReader
{
    public static ItemText[] Read(string file) => Parse(file, InputFile.ReadAllBytes(file));

    public static ItemText[] Parse(string file, byte[] bytes)
    {
        var ids = new List<int>();
        var texts = new List<ItemText>();
        JsonInput.Parse(file, bytes, (ref Utf8JsonReader r) =>
        {
            JsonInput.Expect(file, ref r, JsonTokenType.StartObject, null, "an object of item id -> item fields");
            while (true)
            {
                JsonInput.Read(file, ref r);
                if (r.TokenType == JsonTokenType.EndObject) break;
                var key = r.GetString()!;
                var id = JsonInput.ItemKey(file, key);
                var record = $"item {Quoted.Quote(key)}";
                JsonInput.Expect(file, ref r, JsonTokenType.StartObject, record, "an object of fields");
                string? title = null, description = null, categories = null, brand = null;
                while (true)
                {
                    JsonInput.Read(file, ref r);
                    if (r.TokenType == JsonTokenType.EndObject) break;
                    var field = r.GetString()!;
                    var value = ReadValue(file, ref r, $"{record}, field \"{field}\"");
                    switch (field)
                    {
                        case "title": title = value; break;
                        case "description": description = value; break;
                        case "categories": categories = value; break;
                        case "brand": brand = value; break;
                    }
                }
                ids.Add(id);
                texts.Add(new ItemText(title, description, categories, brand));
            }
        });
        JsonInput.RequireContiguous(file, ids);
        var ordered = new ItemText[ids.Count];
        for (int i = 0; i < ids.Count; i++) ordered[ids[i]] = texts[i];
        return ordered;
    }

    private static string? ReadValue(string file, ref Utf8JsonReader r, string record)
    {
        JsonInput.Read(file, ref r);
        switch (r.TokenType)
        {
            case JsonTokenType.String: return r.GetString();
            case JsonTokenType.Null: return null;
            case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                return System.Text.Encoding.UTF8.GetString(r.ValueSpan);
            case JsonTokenType.StartArray:
                var parts = new List<string>();
                int depth = 1;
                while (depth > 0)
                {
                    JsonInput.Read(file, ref r);
                    if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) depth++;
                    else if (r.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject) depth--;
                    else if (r.TokenType == JsonTokenType.String) parts.Add(r.GetString()!);
                }
                return string.Join(", ", parts);
            case JsonTokenType.StartObject:
                r.Skip();
                return null;
            default:
                throw new LetterDataException(file, record, $"unexpected {JsonInput.Describe(ref r)}");
        }
    }
}
