#!/usr/bin/env python3
"""Checks an index written by the original LETTER code's generate_indices.py and writes it in our
index.json format (the same LETTER layout: {"item id": ["<a_12>", "<b_201>", ...]}, item ids 0..N-1 in
order), with its collision statistics beside it (OUT.check.json).

    python3 bench/issue40/convert_index.py GENERATED.json --items N --out OUT.index.json

Checked: every item 0..N-1 present and nothing else; every identifier has the same number of codes;
the code at level l is "<P_c>" with P the l-th letter (a, b, c, ...) and c a non-negative integer.
The identifiers are kept as they are, collisions included (the original's generate_indices.py stops
after 20 Sinkhorn rounds and keeps what still collides): the check reports the collision rate, the
groups and the largest, so that TIGER on this index is the original code's result.
Exit 2 with one line naming the file and the record on bad input.
"""
import argparse
import collections
import json
import math
import os
import re
import sys

CODE = re.compile(r"^<([a-z])_(\d+)>$")


def fail(path, message):
    print(f"convert_index: {path}: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("generated")
    p.add_argument("--items", type=int, required=True, help="number of items of the dataset")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    try:
        raw = json.load(open(a.generated))
    except (OSError, ValueError) as e:
        fail(a.generated, f"is not readable JSON ({e})")
    if not isinstance(raw, dict):
        fail(a.generated, "is not a JSON object of item id -> codes")
    expected = {str(i) for i in range(a.items)}
    extra = sorted(set(raw) - expected, key=str)
    missing = sorted(expected - set(raw), key=int)
    if extra:
        fail(a.generated, f"item {json.dumps(extra[0])} is not an item id 0..{a.items - 1}")
    if missing:
        fail(a.generated, f"item {missing[0]} has no identifier ({len(missing)} items missing)")
    levels = None
    codes = []
    for i in range(a.items):
        ident = raw[str(i)]
        if not isinstance(ident, list) or not ident:
            fail(a.generated, f"item {i}: the identifier is not a non-empty list")
        if levels is None:
            levels = len(ident)
        if len(ident) != levels:
            fail(a.generated, f"item {i}: {len(ident)} codes where item 0 has {levels}")
        row = []
        for level, token in enumerate(ident):
            m = CODE.match(token) if isinstance(token, str) else None
            if not m or m.group(1) != chr(ord("a") + level):
                fail(a.generated, f"item {i}: code {level + 1} is {json.dumps(token)}, not <{chr(ord('a') + level)}_N>")
            row.append(int(m.group(2)))
        codes.append(tuple(row))
    groups = collections.Counter(codes)
    shared = [n for n in groups.values() if n > 1]
    per_level = []
    for level in range(levels):
        counts = collections.Counter(c[level] for c in codes)
        entropy = -sum(n / a.items * math.log2(n / a.items) for n in counts.values())
        per_level.append({"codes_used": len(counts), "entropy_bits": round(entropy, 3), "largest": max(counts.values())})
    check = {
        "source": os.path.abspath(a.generated), "items": a.items, "levels": levels,
        "distinct_identifiers": len(groups), "collision_rate": round((a.items - len(groups)) / a.items, 5),
        "colliding_groups": len(shared), "items_in_colliding_groups": sum(shared), "largest_group": max(groups.values()),
        "prefixes": [len({c[:k] for c in codes}) for k in range(1, levels + 1)], "per_level": per_level,
    }
    index = {str(i): [f"<{chr(ord('a') + level)}_{c}>" for level, c in enumerate(codes[i])] for i in range(a.items)}
    for path, value in ((a.out, index), (a.out + ".check.json", check)):
        with open(path + ".tmp", "w") as f:
            json.dump(value, f, indent=None if path == a.out else 2)
        os.replace(path + ".tmp", path)
    print(f"{a.out}: {a.items} items, {len(groups)} distinct identifiers (collision rate {check['collision_rate']:.4f}, "
          f"largest group {check['largest_group']}), first-level codes {per_level[0]['codes_used']} ({per_level[0]['entropy_bits']} bits)")


if __name__ == "__main__":
    main()
