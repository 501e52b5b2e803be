#!/usr/bin/env python3
"""A synthetic LETTER index: ITEMS items with distinct random identifiers of LEVELS codes out of
CODES each ({"0": ["<a_12>", "<b_201>", ...], ...}), seeded, for trie and decoding benchmarks at scale.
  usage: bench/synthetic-index.py OUT.index.json [ITEMS=1000000] [LEVELS=4] [CODES=256] [SEED=28]"""
import json, os, random, sys

out = sys.argv[1]
args, defaults = sys.argv[2:], [1000000, 4, 256, 28]
items, levels, codes, seed = (int(args[i]) if i < len(args) else defaults[i] for i in range(4))
if items > codes ** levels:
    sys.exit(f"synthetic-index: {items} items do not fit in {codes}^{levels} distinct identifiers")
rng = random.Random(seed)
letters = "abcdefghijklmnopqrstuvwxyz"
with open(out + ".tmp", "w") as f:
    f.write("{")
    for i, x in enumerate(rng.sample(range(codes ** levels), items)):
        digits = []
        for _ in range(levels):
            x, c = divmod(x, codes)
            digits.append(c)
        f.write(("," if i else "") + json.dumps(str(i)) + ":" + json.dumps([f"<{letters[l]}_{c}>" for l, c in enumerate(reversed(digits))]))
    f.write("}")
os.replace(out + ".tmp", out)
print(f"{out}: {items} items, {levels} x {codes}")
