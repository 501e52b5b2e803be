using System.Globalization;
using System.Text.Json;
using Letter.IO;

namespace Letter.Data;

/// <summary>
/// Reads <c>NAME.index.json</c>: <c>{"item id": ["&lt;a_12&gt;", "&lt;b_201&gt;", ...]}</c>. Every token must be
/// <c>&lt;letter_code&gt;</c>, every identifier the same length, and each level use one letter.
/// </summary>
public static class ItemIndexReader
{
    public static ItemIndex Read(string file) => Parse(file, InputFile.ReadAllBytes(file));

    public static ItemIndex Parse(string file, byte[] bytes)
    {
        var ids = new List<int>();
        var codes = new List<int[]>();
        char[]? prefixes = null;
        JsonInput.Parse(file, bytes, (ref Utf8JsonReader r) =>
        {
            JsonInput.Expect(file, ref r, JsonTokenType.StartObject, null, "an object of item id -> identifier tokens");
            var row = new List<int>();
            var letters = new List<char>();
            while (true)
            {
                JsonInput.Read(file, ref r);
                if (r.TokenType == JsonTokenType.EndObject) break;
                var key = r.GetString()!;
                var id = JsonInput.ItemKey(file, key);
                var record = $"item {Quoted.Quote(key)}";
                JsonInput.Expect(file, ref r, JsonTokenType.StartArray, record, "a list of identifier tokens");
                row.Clear();
                letters.Clear();
                while (true)
                {
                    JsonInput.Read(file, ref r);
                    if (r.TokenType == JsonTokenType.EndArray) break;
                    if (r.TokenType != JsonTokenType.String)
                        throw new LetterDataException(file, record, $"identifier tokens must be strings, found {JsonInput.Describe(ref r)}");
                    var token = r.GetString()!;
                    if (!TryParseToken(token, out var letter, out var code))
                        throw new LetterDataException(file, record, $"token {Quoted.Quote(token)} is not of the form \"<a_12>\"");
                    letters.Add(letter);
                    row.Add(code);
                }
                if (row.Count == 0) throw new LetterDataException(file, record, "empty identifier");
                if (prefixes is null) prefixes = letters.ToArray();
                else if (row.Count != prefixes.Length)
                    throw new LetterDataException(file, record,
                        $"identifier has {row.Count} tokens, earlier identifiers have {prefixes.Length}");
                else
                    for (int l = 0; l < row.Count; l++)
                        if (letters[l] != prefixes[l])
                            throw new LetterDataException(file, record,
                                $"token {l + 1} uses level letter '{Quoted.Escape(letters[l].ToString())}', earlier identifiers use '{Quoted.Escape(prefixes[l].ToString())}'");
                ids.Add(id);
                codes.Add(row.ToArray());
            }
        });
        if (ids.Count == 0) throw new LetterDataException(file, null, "no items");
        JsonInput.RequireContiguous(file, ids);
        var ordered = new int[ids.Count][];
        for (int i = 0; i < ids.Count; i++) ordered[ids[i]] = codes[i];
        return new ItemIndex(ordered, new string(prefixes!));
    }

    private static bool TryParseToken(string token, out char letter, out int code)
    {
        letter = '\0';
        code = 0;
        if (token.Length < 5 || token[0] != '<' || token[^1] != '>' || token[2] != '_' || !char.IsAsciiLetterLower(token[1]))
            return false;
        letter = token[1];
        return int.TryParse(token.AsSpan(3, token.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out code);
    }
}
