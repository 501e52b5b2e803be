namespace Letter.Data.Import;

/// <summary>What each preprocessing step removed, in interactions (k-core also in users and items).</summary>
public sealed record FilterCounts(
    long ItemsWithoutText, long Duplicates, long BeyondMaxLength, long KCore, int KCoreRounds);

/// <summary>
/// The filtered dataset in dense ids: <see cref="Sequences"/>[u] is dense user u's items in time
/// order; <see cref="UserIndex"/> and <see cref="ItemIndex"/> give each dense id's index in the
/// <see cref="InteractionTable"/>'s interners.
/// </summary>
internal sealed record FilteredInteractions(int[][] Sequences, int[] UserIndex, int[] ItemIndex, FilterCounts Counts);

/// <summary>The shared preprocessing of <see cref="ImportOptions"/>, on the compact table, in the documented order.</summary>
internal static class ImportFilter
{
    public static FilteredInteractions Run(InteractionTable table, ImportOptions options)
    {
        int users = table.Users.Count, items = table.Items.Count, n = table.Count;

        // 1. items without text
        long withoutText = 0;
        bool[]? dropItem = null;
        if (options.DropItemsWithoutText)
        {
            dropItem = new bool[items];
            for (int i = 0; i < items; i++) dropItem[i] = !ItemTextLoader.HasText(table.Text?[i]);
        }

        // 2. group rows by user (counting sort: stable, so reading order is kept within a user) ...
        var start = new int[users + 1];
        for (int r = 0; r < n; r++)
            if (dropItem is null || !dropItem[table.ItemAt(r)]) start[table.UserAt(r) + 1]++;
            else withoutText++;
        for (int u = 0; u < users; u++) start[u + 1] += start[u];
        var rows = new int[start[users]];
        var fill = start.AsSpan(0, users).ToArray();
        for (int r = 0; r < n; r++)
            if (dropItem is null || !dropItem[table.ItemAt(r)]) rows[fill[table.UserAt(r)]++] = r;

        // ... and sort each user's rows by time, equal times by reading order (the stable tie-break)
        var byTime = new TimeThenRow(table);
        if (table.HasTime)
            for (int u = 0; u < users; u++) rows.AsSpan(start[u], start[u + 1] - start[u]).Sort(byTime);

        // 3. duplicates and 4. the length cap, per user, compacting rows in place
        long duplicates = 0, beyond = 0;
        var stamp = new int[items];
        Array.Fill(stamp, -1);
        int write = 0;
        var userStart = new int[users + 1];
        for (int u = 0; u < users; u++)
        {
            userStart[u] = write;
            int s = start[u], e = start[u + 1];
            int from = write;
            if (options.Duplicates == DuplicatePolicy.Last)
            {
                // keep the last occurrence: walk a copy backwards (writing forward in place would
                // overwrite rows not yet read), then restore time order
                var segment = rows.AsSpan(s, e - s).ToArray();
                for (int k = segment.Length - 1; k >= 0; k--)
                {
                    int item = table.ItemAt(segment[k]);
                    if (stamp[item] == u) { duplicates++; continue; }
                    stamp[item] = u;
                    rows[write++] = segment[k];
                }
                rows.AsSpan(from, write - from).Reverse();
            }
            else
            {
                for (int k = s; k < e; k++)
                {
                    int item = table.ItemAt(rows[k]);
                    if (options.Duplicates == DuplicatePolicy.First)
                    {
                        if (stamp[item] == u) { duplicates++; continue; }
                        stamp[item] = u;
                    }
                    rows[write++] = rows[k];
                }
            }
            if (options.MaxSequenceLength is int cap && write - from > cap)
            {
                int cut = write - from - cap;
                beyond += cut;
                rows.AsSpan(from + cut, cap).CopyTo(rows.AsSpan(from));
                write -= cut;
            }
        }
        userStart[users] = write;

        // 5. k-core to a fixed point: users and items under k are removed together, then counts are
        // recomputed, until a round removes nothing (the k-core is unique, so the order of removal
        // does not change the result)
        var userCount = new int[users];
        var itemCount = new int[items];
        var keep = new bool[write];
        Array.Fill(keep, true);
        long kcore = 0;
        int rounds = 0;
        if (options.KCore > 1)
        {
            while (true)
            {
                Array.Clear(userCount);
                Array.Clear(itemCount);
                for (int k = 0; k < write; k++)
                    if (keep[k]) { userCount[table.UserAt(rows[k])]++; itemCount[table.ItemAt(rows[k])]++; }
                long removed = 0;
                for (int k = 0; k < write; k++)
                    if (keep[k] && (userCount[table.UserAt(rows[k])] < options.KCore || itemCount[table.ItemAt(rows[k])] < options.KCore))
                    {
                        keep[k] = false;
                        removed++;
                    }
                if (removed == 0) break;
                rounds++;
                kcore += removed;
            }
        }

        // 6. dense ids: users in order of first appearance, items in order of first appearance along
        // those users' sequences
        var denseItem = new int[items];
        Array.Fill(denseItem, -1);
        var itemIndex = new List<int>();
        var userIndex = new List<int>();
        var sequences = new List<int[]>();
        var seq = new List<int>();
        for (int u = 0; u < users; u++)
        {
            seq.Clear();
            for (int k = userStart[u]; k < userStart[u + 1]; k++)
            {
                if (!keep[k]) continue;
                int item = table.ItemAt(rows[k]);
                if (denseItem[item] < 0)
                {
                    denseItem[item] = itemIndex.Count;
                    itemIndex.Add(item);
                }
                seq.Add(denseItem[item]);
            }
            if (seq.Count == 0) continue;
            userIndex.Add(u);
            sequences.Add(seq.ToArray());
        }
        return new FilteredInteractions(sequences.ToArray(), userIndex.ToArray(), itemIndex.ToArray(),
            new FilterCounts(withoutText, duplicates, beyond, kcore, rounds));
    }

    private readonly struct TimeThenRow(InteractionTable table) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            int c = table.TimeAt(a).CompareTo(table.TimeAt(b));
            return c != 0 ? c : a.CompareTo(b);
        }
    }
}
