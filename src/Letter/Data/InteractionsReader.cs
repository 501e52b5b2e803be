using System.Globalization;
using System.Text;
using System.Text.Json;
using Letter.IO;

namespace Letter.Data;

/// <summary>Reads <c>NAME.inter.json</c>: <c>{"user id": [item, item, ...]}</c>, items in time order.</summary>
public static class InteractionsReader
{
    public static List<UserSequence> Read(string file) => Parse(file, InputFile.ReadAllBytes(file));

    public static List<UserSequence> Parse(string file, byte[] bytes)
    {
        var users = new List<UserSequence>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        JsonInput.Parse(file, bytes, (ref Utf8JsonReader r) =>
        {
            JsonInput.Expect(file, ref r, JsonTokenType.StartObject, null, "an object of user id -> item list");
            var items = new List<int>();
            while (true)
            {
                JsonInput.Read(file, ref r);
                if (r.TokenType == JsonTokenType.EndObject) break;
                var user = r.GetString()!;
                var record = $"user {Quoted.Quote(user)}";
                if (!ids.Add(user)) throw new LetterDataException(file, record, "user id appears twice");
                JsonInput.Expect(file, ref r, JsonTokenType.StartArray, record, "a list of item ids");
                items.Clear();
                while (true)
                {
                    JsonInput.Read(file, ref r);
                    if (r.TokenType == JsonTokenType.EndArray) break;
                    var at = $"{record}, position {items.Count}";
                    if (r.TokenType != JsonTokenType.Number)
                        throw new LetterDataException(file, at, $"item id must be an integer, found {JsonInput.Describe(ref r)}");
                    if (!r.TryGetInt32(out var item))
                        throw new LetterDataException(file, at,
                            $"item id must be an integer, found {Quoted.Escape(r.ValueSpan)}");
                    if (item < 0) throw new LetterDataException(file, at, $"item id {item} is negative");
                    items.Add(item);
                }
                users.Add(new UserSequence(user, items.ToArray()));
            }
            if (r.Read()) throw new LetterDataException(file, null, "unexpected content after the top-level object");
        });
        if (users.Count == 0) throw new LetterDataException(file, null, "no users");
        return users;
    }

    /// <summary>Every item id must be below <paramref name="itemCount"/> (known from item.json or index.json).</summary>
    public static void RequireInRange(string file, IReadOnlyList<UserSequence> users, int itemCount, string source)
    {
        foreach (var u in users)
            for (int p = 0; p < u.Items.Length; p++)
                if (u.Items[p] >= itemCount)
                    throw new LetterDataException(file, $"user {Quoted.Quote(u.UserId)}, position {p}",
                        string.Create(CultureInfo.InvariantCulture,
                            $"item id {u.Items[p]} is out of range [0, {itemCount}) ({source} has {itemCount} items)"));
    }
}
