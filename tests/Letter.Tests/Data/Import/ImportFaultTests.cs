using System.Text;
using Letter.Data.Import;
using Letter.IO;
using Letter.Tests.Cli;

namespace Letter.Tests.Data.Import;

/// <summary>
/// Issue 39: the importer never loses, invents or half-writes data. Each test damages input of one
/// class (<see cref="FaultInput"/>) and imports it through the CLI into a folder that already holds
/// a dataset: the exit code, the one message line (file, line or offset, problem; no raw control
/// bytes) and the previous dataset left byte-identical with no temporary folder beside it.
/// </summary>
public class ImportFaultTests
{
    // 240 rows, 24 users, 20 items: enough to fill several deflate blocks once repeated below
    private static readonly string Csv = "user_id,item_id,timestamp\n" +
        string.Concat(Enumerable.Range(0, 240).Select(i => $"u{i % 24},i{i * 7 % 20},{1000 + i}\n"));

    /// <summary>A fixture whose folder "ds" holds a previous import and a file the import does not write.</summary>
    private sealed class Previous : IDisposable
    {
        public readonly ImportFixture F = new();
        public readonly string Folder;
        public readonly SortedDictionary<string, string> Before;

        public Previous()
        {
            Folder = F.Folder("ds");
            var first = F.Write("first.csv", "user_id,item_id,timestamp\na,x,1\na,y,2\nb,x,3\n");
            var r = CliRunner.Run("import", "csv", first, "--out", Folder, "--k-core", "0", "--quiet");
            Assert.Equal(0, r.ExitCode);
            File.WriteAllBytes(Path.Combine(Folder, "ds.emb-minilm.npy"), [1, 2, 3]);
            Before = FaultInput.Snapshot(Folder);
            Assert.Equal(5, Before.Count);
            _backup = F.Folder("backup");
            Directory.CreateDirectory(_backup);
            foreach (var file in Directory.GetFiles(Folder)) File.Copy(file, Path.Combine(_backup, Path.GetFileName(file)));
        }

        private readonly string _backup;

        /// <summary>Puts the previous dataset back after an import that was accepted.</summary>
        public void Restore()
        {
            Directory.Delete(Folder, recursive: true);
            Directory.CreateDirectory(Folder);
            foreach (var file in Directory.GetFiles(_backup)) File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
            Assert.Equal(Before, FaultInput.Snapshot(Folder));
        }

        public CliRunner.Result Import(string format, string source, params string[] extra) =>
            CliRunner.Run(["import", format, source, "--out", Folder, "--k-core", "0", "--quiet", .. extra]);

        /// <summary>The previous dataset is exactly as it was and no temporary folder is left.</summary>
        public void AssertUntouched()
        {
            Assert.Equal(Before, FaultInput.Snapshot(Folder));
            Assert.Empty(FaultInput.LeftoverTemporaries(Folder));
        }

        public void Dispose() => F.Dispose();
    }

    /// <summary>Exit 2 and one line naming the file, holding every part, with nothing raw from the input.</summary>
    private static string AssertRefused(CliRunner.Result r, string file, params string[] parts)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith($"letter: {file}: ", line);
        foreach (var p in parts) Assert.True(line.Contains(p, StringComparison.Ordinal), $"expected \"{p}\" in: {line}");
        Assert.DoesNotContain(line, c => char.IsControl(c) || char.IsSurrogate(c));
        return line;
    }

    // ---- gzip ----

    [Fact]
    public void Gzip_cut_anywhere_is_an_error_naming_the_offset_and_the_dataset_stays()
    {
        using var p = new Previous();
        var gz = FaultInput.Gzip(string.Concat(Enumerable.Repeat(Csv, 30)));
        foreach (int length in FaultInput.CutPoints(gz.Length))
        {
            if (length == 0) continue;  // an empty file is plain text: "the file is empty"
            var path = p.F.WriteBytes("cut.csv.gz", FaultInput.Cut(gz, length));
            var r = p.Import("csv", path);
            var line = AssertRefused(r, path);
            Assert.True(line.Contains($"truncated: the file ends at offset {length} ", StringComparison.Ordinal)
                        || line.Contains("has no valid 8-byte trailer", StringComparison.Ordinal)
                        || (length == 1 && line.Contains("is named .gz but does not start with the gzip magic bytes", StringComparison.Ordinal)), $"cut at {length}: {line}");
            p.AssertUntouched();
        }
    }

    [Fact]
    public void Gzip_without_its_trailer_and_header_only_are_truncated()
    {
        using var p = new Previous();
        var gz = FaultInput.Gzip(Csv);
        var noTrailer = p.F.WriteBytes("no-trailer.csv.gz", gz[..^8]);
        AssertRefused(p.Import("csv", noTrailer), noTrailer, "gzip member that starts at offset 0 has no valid 8-byte trailer");
        var headerOnly = p.F.WriteBytes("header.csv.gz", gz[..10]);
        AssertRefused(p.Import("csv", headerOnly), headerOnly, "truncated: the file ends at offset 10 inside the compressed data");
        p.AssertUntouched();
    }

    [Fact]
    public void Bytes_after_the_last_gzip_member_are_an_error_with_their_offset()
    {
        using var p = new Previous();
        var gz = FaultInput.Gzip(Csv);
        foreach (var (tail, expected) in new (byte[], string)[]
                 {
                     ("garbage"u8.ToArray(), $"unexpected bytes at offset {gz.Length}, after the end of the gzip data (not another gzip member): \"garbage\""),
                     ([0, 0, 0, 0], $"unexpected bytes at offset {gz.Length}, after the end of the gzip data (not another gzip member): \"\\x00\\x00\\x00\\x00\""),
                     ([0x1b, (byte)'[', (byte)'2', (byte)'J'], $"offset {gz.Length}, after the end of the gzip data (not another gzip member): \"\\x1b[2J\""),
                     ([0x1f], $"unexpected bytes at offset {gz.Length}"),
                     ([0x1f, 0x8b, 8, 0], $"truncated: the file ends at offset {gz.Length + 4} inside a gzip header (at offset {gz.Length})"),
                 })
        {
            var path = p.F.WriteBytes("tail.csv.gz", FaultInput.Concat(gz, tail));
            AssertRefused(p.Import("csv", path), path, expected);
            p.AssertUntouched();
        }
    }

    [Fact]
    public void Concatenated_gzip_members_are_read_as_gzip_reads_them()
    {
        using var f = new ImportFixture();
        var lines = Csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var half = lines.Length / 2;
        var path = f.WriteBytes("two.csv.gz", FaultInput.Concat(
            FaultInput.Gzip(string.Join('\n', lines[..half]) + "\n"), FaultInput.Gzip(""), FaultInput.Gzip(string.Join('\n', lines[half..]) + "\n")));
        var plain = f.Write("plain.csv", Csv);
        var a = f.Import(ImportFormat.Csv, [path], new ImportOptions { KCore = 0 }, output: "a");
        var b = f.Import(ImportFormat.Csv, [plain], new ImportOptions { KCore = 0 }, output: "b");
        Assert.Equal(240, a.Report.RowsRead);
        Assert.Equal(b.Sequences(), a.Sequences());
    }

    [Fact]
    public void Gzip_with_any_byte_flipped_is_refused_or_reads_exactly_the_original()
    {
        using var p = new Previous();
        var gz = FaultInput.Gzip(string.Concat(Enumerable.Repeat(Csv, 10)));
        var good = p.F.WriteBytes("good.csv.gz", gz);
        var baseline = p.F.Import(ImportFormat.Csv, [good], new ImportOptions { KCore = 0 }, output: "baseline").Inter;
        int refused = 0;
        foreach (int i in FaultInput.FlipPoints(gz.Length))
        {
            var path = p.F.WriteBytes("flip.csv.gz", FaultInput.Flip(gz, i));
            var r = p.Import("csv", path);
            if (r.ExitCode == 0)
            {
                // header bytes gzip does not check (time, extra flags, OS): the data must be the same
                Assert.True(i is >= 4 and < 10, $"flip at {i} accepted");
                Assert.Equal(baseline, File.ReadAllText(Path.Combine(p.Folder, "ds.inter.json")));
                p.Restore();
                continue;
            }
            refused++;
            AssertRefused(r, path);
            p.AssertUntouched();
        }
        Assert.True(refused >= 20, $"{refused} refused");
    }

    [Fact]
    public void Gzip_inside_gzip_and_other_compressions_are_refused()
    {
        using var p = new Previous();
        var twice = p.F.WriteBytes("twice.csv.gz", FaultInput.Gzip(FaultInput.Gzip(Csv)));
        AssertRefused(p.Import("csv", twice), twice, "holds a NUL byte at offset");
        var zstd = p.F.WriteBytes("x.csv.zst", [0x28, 0xB5, 0x2F, 0xFD, 0, 0, 0]);
        AssertRefused(p.Import("csv", zstd), zstd, "is zstd-compressed: decompress it first");
        var xz = p.F.WriteBytes("x.csv.xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 1]);
        AssertRefused(p.Import("jsonl", xz), xz, "is xz-compressed");
        var bz = p.F.WriteBytes("x.csv.bz2", "BZh91AY&SY"u8.ToArray());
        AssertRefused(p.Import("csv", bz), bz, "is bzip2-compressed");
        p.AssertUntouched();
        // a header that merely starts with "BZh" is text
        var text = p.F.Write("bzh.csv", "BZh,user_id,item_id\n1,a,x\n");
        Assert.Equal(0, p.Import("csv", text).ExitCode);
    }

    // ---- nesting and size limits ----

    [Theory]
    [InlineData(200_000, false)]
    [InlineData(100_000, true)]
    public void Python_literals_nested_past_the_limit_are_a_bad_row_with_their_line(int depth, bool dicts)
    {
        using var f = new ImportFixture();
        var nested = dicts ? FaultInput.NestedPythonDicts("B02", depth) : FaultInput.NestedPythonLists("B02", depth);
        var meta = f.Write("meta.json", "{'asin': 'B01', 'title': 'One'}\n" + nested + "\n" +
                                        FaultInput.NestedPythonLists("B03", PythonLiteralRecords.MaxDepth - 1) + "\n");
        var bad = new BadRows(strict: false, keep: 5);
        using (var r = new PythonLiteralRecords(meta))
        {
            int asin = r.Column("asin");
            var read = new List<string>();
            while (r.Next(bad)) read.Add(r.Field(asin).ToString());
            Assert.Equal(["B01", "B03"], read);   // 99 lists inside the dict: 100 levels, the limit
        }
        var row = Assert.Single(bad.Examples);
        Assert.Equal(2, row.Line);
        Assert.StartsWith($"not a Python literal: values nest deeper than {PythonLiteralRecords.MaxDepth} levels at character ", row.Problem);

        // through the CLI, strict, over a previous dataset: exit 2 naming the line, the dataset as it was
        using var p = new Previous();
        var reviews = f.Write("reviews.json", """{"reviewerID": "R1", "asin": "B01", "overall": 5.0, "unixReviewTime": 1}""" + "\n");
        var cli = CliRunner.Run("import", "amazon2014", reviews, meta, "--out", p.Folder, "--k-core", "0", "--quiet", "--strict");
        AssertRefused(cli, meta, "line 2: not a Python literal: values nest deeper than 100 levels");
        p.AssertUntouched();
        var lenient = CliRunner.Run("import", "amazon2014", reviews, meta, "--out", f.Folder("o"), "--k-core", "0", "--quiet");
        Assert.Equal(0, lenient.ExitCode);
        Assert.Contains($"{meta}: line 2: not a Python literal: values nest deeper than 100 levels", lenient.Stdout);
    }

    [Fact]
    public void A_Python_literal_with_too_many_values_is_a_bad_row()
    {
        using var f = new ImportFixture();
        var many = "{'asin': 'B01', 'related': [" + string.Join(",", Enumerable.Repeat("0", PythonLiteralRecords.MaxValues + 1)) + "]}";
        var meta = f.Write("meta.json", many + "\n{'asin': 'B02'}\n");
        var bad = new BadRows(strict: false, keep: 5);
        using var r = new PythonLiteralRecords(meta);
        int asin = r.Column("asin");
        Assert.True(r.Next(bad));
        Assert.Equal("B02", r.Field(asin).ToString());
        Assert.Contains("the record holds more than 1,000,000 values", Assert.Single(bad.Examples).Problem);
    }

    [Theory]
    [InlineData("\\U00110000", "bad escape: \\U00110000 is beyond Unicode")]
    [InlineData("\\x1b[2J", null)]
    public void Python_escapes_beyond_Unicode_are_a_bad_row_and_escaped_controls_stay_text(string escape, string? problem)
    {
        using var f = new ImportFixture();
        var meta = f.Write("meta.json", $"{{'asin': 'B01', 'title': 'a{escape}'}}\n");
        var bad = new BadRows(strict: false, keep: 5);
        using var r = new PythonLiteralRecords(meta);
        int title = r.Column("title");
        bool read = r.Next(bad);
        if (problem is null)
        {
            Assert.True(read);
            Assert.Equal("a\u001b[2J", r.Field(title).ToString());
        }
        else
        {
            Assert.False(read);
            Assert.Contains(problem, Assert.Single(bad.Examples).Problem);
        }
    }

    [Fact]
    public void Json_lines_nested_past_the_limit_are_a_bad_row_and_strict_stops()
    {
        using var p = new Previous();
        var path = p.F.Write("deep.jsonl", "{\"user_id\": \"a\", \"item_id\": \"x\"}\n" + FaultInput.NestedJson("b", "y", 100_000) + "\n");
        var strict = p.Import("jsonl", path, "--strict");
        AssertRefused(strict, path, "line 2: malformed JSON: ", "depth");
        p.AssertUntouched();
        var lenient = p.Import("jsonl", path);
        Assert.Equal(0, lenient.ExitCode);
        Assert.Contains($"{path}: line 2: malformed JSON", lenient.Stdout);
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_skipped_as_a_bad_row()
    {
        using var f = new ImportFixture();
        var sb = new StringBuilder("{\"user_id\": \"a\", \"item_id\": \"x\"}\n{\"user_id\": \"b\", \"item_id\": \"");
        sb.Append('y', LineReader.MaxLineBytes + 10).Append("\"}\n{\"user_id\": \"c\", \"item_id\": \"z\"}\n");
        var path = f.Write("long.jsonl", sb.ToString());
        var r = f.Import(ImportFormat.JsonLines, [path], new ImportOptions { KCore = 0 });
        Assert.Equal(["a: x", "c: z"], r.Sequences());
        var bad = Assert.Single(r.Report.FirstBadRows);
        Assert.Equal(2, bad.Line);
        Assert.Equal("the line is longer than 64 MiB", bad.Problem);
    }

    [Fact]
    public void A_quoted_csv_field_never_closed_is_an_error_naming_where_it_opens()
    {
        using var p = new Previous();
        var path = p.F.Write("open.csv", "user_id,item_id\na,x\nb,\"y\nc,z\nd,w\n");
        AssertRefused(p.Import("csv", path), path, "line 3: the file ends inside a quoted field that opens here");
        p.AssertUntouched();
    }

    [Fact]
    public void Csv_and_json_lines_cut_anywhere_never_crash_and_never_touch_the_dataset_when_refused()
    {
        using var p = new Previous();
        var json = Encoding.UTF8.GetBytes(string.Concat(Csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(',')).Select(c => $"{{\"user_id\": \"{c[0]}\", \"item_id\": \"{c[1]}\", \"timestamp\": {c[2]}}}\n")));
        foreach (var (format, bytes) in new[] { ("csv", Encoding.UTF8.GetBytes(Csv)), ("jsonl", json) })
        {
            foreach (int length in FaultInput.CutPoints(bytes.Length, head: 3, tail: 3, spread: 8))
            {
                var path = p.F.WriteBytes($"cut.{format}", FaultInput.Cut(bytes, length));
                var r = p.Import(format, path, "--strict");
                Assert.True(r.ExitCode is 0 or 2, $"{format} cut at {length}: exit {r.ExitCode}: {r.Stderr}");
                if (r.ExitCode == 2)
                {
                    AssertRefused(r, path);
                    p.AssertUntouched();
                }
                else p.Restore();
            }
        }
    }

    // ---- ids that are not UTF-8 ----

    [Theory]
    [InlineData("csv")]
    [InlineData("jsonl")]
    public void Ids_that_are_not_utf8_are_bad_rows_naming_the_line_never_merged(string format)
    {
        using var p = new Previous();
        byte[] Row(byte[] user, string item) => format == "csv"
            ? [.. user, .. Encoding.UTF8.GetBytes($",{item},1\n")]
            : [.. "{\"user_id\": \""u8.ToArray(), .. user, .. Encoding.UTF8.GetBytes($"\", \"item_id\": \"{item}\", \"timestamp\": 1}}\n")];
        var head = format == "csv" ? "user_id,item_id,timestamp\n"u8.ToArray() : [];
        var bytes = FaultInput.Concat(head, Row([0xFF, 0x41], "x"), Row([0xFE, 0x41], "y"), Row("ok"u8.ToArray(), "z"));
        var path = p.F.WriteBytes($"ids.{format}", bytes);
        int first = format == "csv" ? 2 : 1;
        var strict = p.Import(format, path, "--strict");
        AssertRefused(strict, path, $"line {first}: user id \"\\xffA\" is not valid UTF-8 text");
        p.AssertUntouched();

        var lenient = p.Import(format, path);
        Assert.Equal(0, lenient.ExitCode);
        Assert.Contains($"{path}: line {first}: user id \"\\xffA\" is not valid UTF-8", lenient.Stdout);
        Assert.Contains($"{path}: line {first + 1}: user id \"\\xfeA\" is not valid UTF-8", lenient.Stdout);
        Assert.Equal(["ok\t0"], File.ReadAllLines(Path.Combine(p.Folder, "ds.user2id")));
    }

    [Fact]
    public void A_json_id_with_an_escaped_lone_surrogate_is_a_bad_row()
    {
        using var f = new ImportFixture();
        var path = f.Write("s.jsonl", "{\"user_id\": \"\\udcff\", \"item_id\": \"x\"}\n{\"user_id\": \"\\udcfe\", \"item_id\": \"x\"}\n{\"user_id\": \"a\", \"item_id\": \"x\"}\n");
        var r = f.Import(ImportFormat.JsonLines, [path], new ImportOptions { KCore = 0 });
        Assert.Equal(["a: x"], r.Sequences());
        Assert.Equal(2, r.Report.Dropped.BadRows);
    }

    [Fact]
    public void Item_text_that_is_not_utf8_is_kept_with_replacement_characters()
    {
        using var f = new ImportFixture();
        var inter = f.Write("i.csv", "user_id,item_id,timestamp\na,x,1\n");
        var items = f.WriteBytes("items.csv", [.. "item_id,title\nx,Caf"u8.ToArray(), 0xE9, .. "\n"u8.ToArray()]);
        var r = f.Import(ImportFormat.Csv, [inter], new ImportOptions { KCore = 0 },
            new TableColumns { ItemFile = items, Text = [new TextColumn("title", ItemField.Title)] });
        Assert.Equal("Caf\uFFFD", r.Items[0].Title);
    }

    // ---- re-encoded and hostile text ----

    [Theory]
    [InlineData(true, "is UTF-16 or UTF-32 text (it starts with the byte-order mark \"\\xff\\xfe\")")]
    [InlineData(false, "holds a NUL byte at offset 1 of its text")]
    public void Utf16_text_is_refused_without_echoing_nul_bytes(bool bom, string expected)
    {
        using var p = new Previous();
        var path = p.F.WriteBytes("utf16.csv", FaultInput.Utf16(Csv, bom));
        AssertRefused(p.Import("csv", path), path, expected);
        var gz = p.F.WriteBytes("utf16.csv.gz", FaultInput.Gzip(FaultInput.Utf16(Csv, bom)));
        AssertRefused(p.Import("csv", gz), gz, expected);
        p.AssertUntouched();
    }

    [Fact]
    public void A_header_with_terminal_escapes_is_quoted_escaped()
    {
        using var p = new Previous();
        var path = p.F.Write("esc.csv", "\u001b[2J,\u001b]0;owned\u0007,\u009b31m\nu,i,1\n");
        var line = AssertRefused(p.Import("csv", path), path,
            "has no user id column \"user_id\" (columns: \"\\x1b[2J\", \"\\x1b]0;owned\\x07\", \"\\x9b31m\")");
        Assert.DoesNotContain('\u001b', line);
        p.AssertUntouched();
    }

    [Fact]
    public void Bad_values_in_rows_are_quoted_escaped_and_cut()
    {
        using var f = new ImportFixture();
        var path = f.Write("v.csv", $"user_id,item_id,timestamp\na,x,\u001b[31mred\na,y,{new string('9', 30)}z{new string('8', 30)}\nb,x,1\n");
        var r = f.Import(ImportFormat.Csv, [path], new ImportOptions { KCore = 0 });
        Assert.Equal("time \"\\x1b[31mred\" is not a number or a date", r.Report.FirstBadRows[0].Problem);
        Assert.Equal($"time \"{new string('9', 30)}z{new string('8', 9)}...(+21 bytes)\" is not a number or a date", r.Report.FirstBadRows[1].Problem);
    }

    // ---- Parquet ----

    private static Task<byte[]> SmallParquet() =>
        FaultInput.Parquet(Enumerable.Range(0, 300).Select(i => ($"u{i % 24}", $"i{i % 20}", 1000L + i)).ToArray(), groupRows: 100);

    [Fact]
    public async Task Parquet_with_an_impossible_footer_length_is_one_line()
    {
        using var p = new Previous();
        var bytes = await SmallParquet();
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 8, 4), int.MaxValue);
        var path = p.F.WriteBytes("footer.parquet", bytes);
        AssertRefused(p.Import("parquet", path), path, $"damaged Parquet file: its footer length 2147483647 (at offset {bytes.Length - 8}) does not fit in the file's {bytes.Length} bytes");
        var notParquet = p.F.Write("text.parquet", Csv);
        AssertRefused(p.Import("parquet", notParquet), notParquet, "not a Parquet file: it starts with \"user\", not \"PAR1\"");
        p.AssertUntouched();
    }

    [Fact]
    public async Task Parquet_cut_or_flipped_anywhere_is_refused_in_one_line_or_reads_the_same()
    {
        using var p = new Previous();
        var bytes = await SmallParquet();
        foreach (int length in FaultInput.CutPoints(bytes.Length, spread: 12))
        {
            var path = p.F.WriteBytes("cut.parquet", FaultInput.Cut(bytes, length));
            AssertRefused(p.Import("parquet", path), path);
            p.AssertUntouched();
        }
        int refused = 0;
        foreach (int i in FaultInput.FlipPoints(bytes.Length, edge: 8, spread: 60))
        {
            var path = p.F.WriteBytes("flip.parquet", FaultInput.Flip(bytes, i));
            var r = p.Import("parquet", path);
            Assert.True(r.ExitCode is 0 or 2, $"flip at {i}: exit {r.ExitCode}: {r.Stderr}");
            if (r.ExitCode == 2)
            {
                refused++;
                AssertRefused(r, path);
                p.AssertUntouched();
            }
            else
            {
                // Parquet pages carry no checksum by default: a flipped value byte may read as another
                // value; the import is then complete, never partial
                Assert.Empty(FaultInput.LeftoverTemporaries(p.Folder));
                Assert.Equal(5, Directory.GetFiles(p.Folder).Length);
                p.Restore();
            }
        }
        Assert.True(refused > 0);
    }

    [Fact]
    public async Task Parquet_ids_that_are_not_utf8_are_bad_rows_never_merged()
    {
        using var f = new ImportFixture();
        var user = new Parquet.Schema.DataField<string>("user_id");
        var item = new Parquet.Schema.DataField<string>("item_id");
        var ms = new MemoryStream();
        await using (var w = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(user, item), ms,
                         new Parquet.ParquetOptions { CompressionMethod = Parquet.CompressionMethod.None }))
        {
            using var g = w.CreateRowGroup();
            await g.WriteAsync(user, new[] { "QQA", "RRA", "ok" });
            await g.WriteAsync(item, new[] { "x", "y", "z" });
        }
        // the uncompressed pages hold the strings as they are: make "QQ" and "RR" bytes that are not UTF-8
        var bytes = ms.ToArray();
        for (int i = 0; i + 1 < bytes.Length; i++)
        {
            if (bytes[i] == 'Q' && bytes[i + 1] == 'Q') { bytes[i] = 0xFF; bytes[i + 1] = 0x41; }
            if (bytes[i] == 'R' && bytes[i + 1] == 'R') { bytes[i] = 0xFE; bytes[i + 1] = 0x41; }
        }
        var path = f.WriteBytes("ids.parquet", bytes);
        var r = f.Import(ImportFormat.Parquet, [path], new ImportOptions { KCore = 0 });
        Assert.Equal(["ok: z"], r.Sequences());
        Assert.Equal([1L, 2L], r.Report.FirstBadRows.Select(b => b.Line));
        Assert.StartsWith("user id \"\uFFFDAA\" holds U+FFFD", r.Report.FirstBadRows[0].Problem);
    }

    // ---- the output folder ----

    [Fact]
    public void Out_naming_a_file_or_a_path_under_one_is_exit_2()
    {
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", Csv);
        var file = f.Write("taken", "keep me");
        AssertRefused(CliRunner.Run("import", "csv", csv, "--out", file, "--quiet"), file, "is a file, but the dataset folder must be a folder");
        var under = Path.Combine(file, "sub", "ds");
        AssertRefused(CliRunner.Run("import", "csv", csv, "--out", under, "--quiet"), under, $"cannot be the dataset folder: {file} is a file, not a folder");
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void A_folder_where_the_import_writes_a_file_is_refused_before_anything_is_written()
    {
        using var p = new Previous();
        // the issue's case: NAME.user2id is a folder
        File.Delete(Path.Combine(p.Folder, "ds.user2id"));
        Directory.CreateDirectory(Path.Combine(p.Folder, "ds.user2id"));
        File.WriteAllText(Path.Combine(p.Folder, "ds.user2id", "note"), "mine");
        var before = FaultInput.Snapshot(p.Folder);
        var csv = p.F.Write("i.csv", Csv);
        AssertRefused(p.Import("csv", csv), Path.Combine(p.Folder, "ds.user2id"), "is a folder where the import writes a file");
        Assert.Equal(before, FaultInput.Snapshot(p.Folder));
        Assert.Empty(FaultInput.LeftoverTemporaries(p.Folder));
    }

    public static TheoryData<string> Steps => new()
    {
        "write interactions", "write item text", "write user ids", "write item ids", "write report",
        "carry over ds.emb-minilm.npy", "move previous aside", "move in",
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public void A_reimport_failing_at_any_step_leaves_the_previous_dataset_byte_identical(string failAt)
    {
        using var p = new Previous();
        var csv = p.F.Write("i.csv", Csv);
        StagedFolder.FaultInjection.Value = step =>
        {
            if (step == failAt) throw new IOException($"injected failure at {step}");
        };
        try
        {
            var e = Assert.ThrowsAny<Exception>(() => p.F.Import(ImportFormat.Csv, [csv], new ImportOptions { KCore = 0 }, output: "ds"));
            Assert.Contains($"injected failure at {failAt}", e.Message);
        }
        finally
        {
            StagedFolder.FaultInjection.Value = null;
        }
        p.AssertUntouched();
    }

    [Fact]
    public void A_reimport_replaces_the_dataset_files_and_keeps_the_others()
    {
        using var p = new Previous();
        var csv = p.F.Write("i.csv", Csv);
        Assert.Equal(0, p.Import("csv", csv).ExitCode);
        var after = FaultInput.Snapshot(p.Folder);
        Assert.Equal(p.Before["ds.emb-minilm.npy"], after["ds.emb-minilm.npy"]);
        Assert.NotEqual(p.Before["ds.inter.json"], after["ds.inter.json"]);
        Assert.Equal(24, File.ReadAllLines(Path.Combine(p.Folder, "ds.user2id")).Length);
        Assert.Empty(FaultInput.LeftoverTemporaries(p.Folder));
    }
}
