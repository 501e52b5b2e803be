namespace Letter.Data.Import;

/// <summary>One item-file column that becomes (part of) an item text field.</summary>
public sealed record TextColumn(string Column, ItemField Field);

/// <summary>
/// How to read a table of interactions (and optionally one of item text) for the generic formats:
/// CSV/TSV, JSON lines and Parquet. Column names are header names, JSON field names or Parquet
/// column names; a delimited file without a header names its columns by position, from 1.
/// </summary>
public sealed record TableColumns
{
    public string User { get; init; } = "user_id";
    public string Item { get; init; } = "item_id";

    /// <summary>The time column; null uses <c>timestamp</c> when the table has one, else file order.</summary>
    public string? Time { get; init; }

    /// <summary>The rating column; null uses <c>rating</c> when the table has one.</summary>
    public string? Rating { get; init; }

    /// <summary>Field separator of delimited files (null: comma for CSV, tab for TSV). May be several characters (<c>::</c>).</summary>
    public string? Separator { get; init; }

    /// <summary>Whether delimited files start with a header line.</summary>
    public bool Header { get; init; } = true;

    /// <summary>An item table in the same format as the interactions (null: no item text).</summary>
    public string? ItemFile { get; init; }

    /// <summary>The item id column of <see cref="ItemFile"/> (null: the same name as <see cref="Item"/>).</summary>
    public string? ItemIdColumn { get; init; }

    /// <summary>The item file's text columns; several columns for one field are joined by a space.</summary>
    public IReadOnlyList<TextColumn> Text { get; init; } = [];
}
