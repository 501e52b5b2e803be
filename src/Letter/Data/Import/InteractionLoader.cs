using System.Globalization;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>The columns of an interaction table; null time or rating: the default name when the table has it.</summary>
internal sealed record InteractionColumns(string User, string Item, string? Time, string? Rating)
{
    public const string DefaultTime = "timestamp";
    public const string DefaultRating = "rating";
}

/// <summary>Reads interaction records into an <see cref="InteractionTable"/>, counting bad rows and rows below the minimum rating.</summary>
internal static class InteractionLoader
{
    public static void Load(RecordReader r, InteractionColumns columns, InteractionTable table, ImportOptions options, BadRows bad)
    {
        int user = Required(r, columns.User, "user id");
        int item = Required(r, columns.Item, "item id");
        int time = columns.Time is null ? Optional(r, InteractionColumns.DefaultTime) : Required(r, columns.Time, "time");
        int rating = columns.Rating is null ? Optional(r, InteractionColumns.DefaultRating) : Required(r, columns.Rating, "rating");
        bool knownColumns = r.ColumnNames is not null;
        // a JSON-lines file names its fields per record: a default column is used when the first record has it
        bool decided = knownColumns || columns.Time is not null;
        bool checkRating = options.MinRating is not null;
        if (checkRating && rating < 0)
            throw new LetterConfigException($"{r.File}: a minimum rating needs a rating column, and this table has no {Quoted.Quote(columns.Rating ?? InteractionColumns.DefaultRating)}");
        double min = options.MinRating ?? 0;
        if (time >= 0 && decided) table.HasTime = true;

        while (r.Next(bad))
        {
            if (!decided)
            {
                decided = true;
                if (r.Has(time)) table.HasTime = true;
                else time = -1;
            }
            var u = r.Field(user);
            var i = r.Field(item);
            if (u.IsEmpty) { bad.Add(r.File, r.Line, $"no user id (column {Quoted.Quote(columns.User)})"); continue; }
            if (i.IsEmpty) { bad.Add(r.File, r.Line, $"no item id (column {Quoted.Quote(columns.Item)})"); continue; }
            if (!Utf8Text.IsText(u)) { bad.Add(r.File, r.Line, NotText("user", u)); continue; }
            if (!Utf8Text.IsText(i)) { bad.Add(r.File, r.Line, NotText("item", i)); continue; }
            if (r.ReplacesInvalidBytes && (u.Contains('\uFFFD') || i.Contains('\uFFFD')))
            {
                bad.Add(r.File, r.Line, $"{(u.Contains('\uFFFD') ? "user" : "item")} id {Quote(u.Contains('\uFFFD') ? u : i)} holds U+FFFD, " +
                                        "which the Parquet reader puts in place of bytes that are not UTF-8: it may stand for several ids");
                continue;
            }
            if (u.IndexOfAny('\t', '\n', '\r') >= 0 || i.IndexOfAny('\t', '\n', '\r') >= 0)
            {
                bad.Add(r.File, r.Line, "an id holds a tab or a line break (the id maps could not store it)");
                continue;
            }
            double t = 0;
            if (time >= 0 && !TimeValue.TryParse(r.Field(time), out t))
            {
                bad.Add(r.File, r.Line, r.Has(time) ? $"time {Quote(r.Field(time))} is not a number or a date" : "no time");
                continue;
            }
            if (checkRating)
            {
                if (!double.TryParse(r.Field(rating), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    bad.Add(r.File, r.Line, r.Has(rating) ? $"rating {Quote(r.Field(rating))} is not a number" : "no rating");
                    continue;
                }
                if (value < min) { table.BelowMinRating++; continue; }
            }
            table.Add(table.Users.Intern(u), table.Items.Intern(i), t);
        }
    }

    public static int Required(RecordReader r, string name, string what)
    {
        int c = r.Column(name);
        if (c < 0)
            throw new LetterDataException(r.File, null,
                $"has no {what} column {Quoted.Quote(name)} ({r.ColumnHint})");
        return c;
    }

    private static int Optional(RecordReader r, string name) => r.ColumnNames is null || r.ColumnNames.Contains(name) ? r.Column(name) : -1;

    /// <summary>A field's value for a message: quoted, escaped, cut at 40 characters.</summary>
    public static string Quote(ReadOnlySpan<char> s) => Utf8Text.Show(s, 40);

    /// <summary>
    /// Ids are the bytes the user gave and are written to the id maps as UTF-8 text, so bytes that
    /// are not UTF-8 cannot be kept: decoded lossily, <c>\xffA</c> and <c>\xfeA</c> would both
    /// become U+FFFD A and two users one.
    /// </summary>
    private static string NotText(string what, ReadOnlySpan<char> id) =>
        $"{what} id {Quote(id)} is not valid UTF-8 text (ids are kept exactly as given and written as UTF-8, so this one cannot be)";
}

/// <summary>Times: a number (Unix seconds, milliseconds, anything ordered) or a date and time, read as UTC, in seconds.</summary>
internal static class TimeValue
{
    public static bool TryParse(ReadOnlySpan<char> s, out double time)
    {
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out time) && double.IsFinite(time)) return true;
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var date))
        {
            time = date.ToUnixTimeMilliseconds() / 1000.0;
            return true;
        }
        time = 0;
        return false;
    }
}
