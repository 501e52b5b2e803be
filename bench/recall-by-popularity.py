#!/usr/bin/env python3
"""Test Recall@10 of two evaluations of the same users, split by how often the target occurs in the
training split (every user's items but the last two), for targets new to the user. Reads the
per-user ranks files that `letter eval` (ranks.tsv) and `letter cf --eval` (FILE.ranks-test.tsv)
write: user, target, identifier_rank (1-based or "-"), item_rank, target_in_history.
    usage: bench/recall-by-popularity.py DATASET_DIR RANKS_A.tsv RANKS_B.tsv
"""
import collections, glob, json, os, sys

folder, file_a, file_b = sys.argv[1:4]
inter = json.load(open(glob.glob(os.path.join(folder, "*.inter.json"))[0]))
count = collections.Counter(item for items in inter.values() for item in items[:-2])


def ranks(path):
    rows = {}
    with open(path) as f:
        header = next(f).rstrip("\n").split("\t")
        if "target_in_history" not in header:
            sys.exit(f"{path}: no target_in_history column (evaluate again with a current Letter)")
        # columns by name: files since 2026-12-08 add the dataset's ids (user_id, target_id) after them
        col = {name: i for i, name in enumerate(header)}
        for line in f:
            fields = line.rstrip("\n").split("\t")
            user, target, rank, repeat = (fields[col[c]] for c in ("user", "target", "identifier_rank", "target_in_history"))
            rows[user] = (int(target), int(rank) if rank != "-" else None, repeat)
    return rows


a, b = ranks(file_a), ranks(file_b)
if a.keys() != b.keys() or any(a[u][0] != b[u][0] for u in a):
    sys.exit("the two files do not hold the same users and targets")
new = [u for u in a if a[u][2] == "0"]
hit = lambda r, u: r[u][1] is not None and r[u][1] <= 10
print(f"targets new to the user: {len(new)} of {len(a)} users")
print("training count of the target | users | R@10 A | R@10 B")
bounds = [0, 1, 5, 10, 20, 50, 100, None]
for lo, hi in zip(bounds, bounds[1:]):
    users = [u for u in new if count[a[u][0]] >= lo and (hi is None or count[a[u][0]] < hi)]
    if users:
        label = f"{lo}+" if hi is None else f"{lo}-{hi - 1}"
        print(f"{label} | {len(users)} | {sum(hit(a, u) for u in users) / len(users):.4f} | {sum(hit(b, u) for u in users) / len(users):.4f}")
