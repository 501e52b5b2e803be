using System.Text.Json.Serialization;

namespace Letter.Data.Import;

/// <summary>The source formats <c>letter import</c> reads.</summary>
public enum ImportFormat
{
    /// <summary>A delimited table (comma by default), with a header unless told otherwise.</summary>
    Csv,
    /// <summary>A delimited table separated by tabs.</summary>
    Tsv,
    /// <summary>One JSON object per line, fields by name.</summary>
    [JsonStringEnumMemberName("jsonl")]
    JsonLines,
    /// <summary>An Apache Parquet table, columns by name.</summary>
    Parquet,
    /// <summary>RecBole atomic files: <c>NAME.inter</c> and <c>NAME.item</c> with typed headers.</summary>
    [JsonStringEnumMemberName("recbole")]
    RecBole,
    /// <summary>MovieLens: <c>u.data</c>/<c>u.item</c> (100K), <c>ratings.dat</c>/<c>movies.dat</c> (1M, 10M), <c>ratings.csv</c>/<c>movies.csv</c> (20M, 25M, latest).</summary>
    [JsonStringEnumMemberName("movielens")]
    MovieLens,
    /// <summary>Amazon Reviews 2014: reviews JSON lines and metadata lines that are Python literals.</summary>
    Amazon2014,
    /// <summary>Amazon Reviews 2018: the ratings-only CSV and the metadata JSON lines, processed by LC-Rec's rules.</summary>
    Amazon2018,
    /// <summary>Amazon Reviews 2023: reviews and metadata JSON lines keyed by <c>parent_asin</c>, millisecond timestamps.</summary>
    Amazon2023,
    /// <summary>The Yelp open dataset: <c>review.json</c> and <c>business.json</c>.</summary>
    Yelp,
}

/// <summary>Which of a user's repeated interactions with one item are kept.</summary>
public enum DuplicatePolicy
{
    /// <summary>The earliest in time order (LC-Rec's and LETTER's rule).</summary>
    First,
    /// <summary>The latest in time order.</summary>
    Last,
    /// <summary>Every interaction, repeats included.</summary>
    All,
}

/// <summary>The text fields of Letter's <c>item.json</c>.</summary>
public enum ItemField
{
    Title,
    Description,
    Categories,
    Brand,
}
