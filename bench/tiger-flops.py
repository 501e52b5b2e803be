#!/usr/bin/env python3
"""Matrix-product FLOPs of one TIGER training epoch (forward + backward = 3x forward) on a LETTER
dataset, for LETTER-TIGER's T5 (4+4 layers, d_model 128, d_ff 1024, 6 heads of 64), 4-code
identifiers and the codes-only vocabulary. Counts projections, attention products and the output
layer; leaves out norms, softmax, dropout and embedding lookups, which are not products.
    usage: bench/tiger-flops.py DATASET_DIR [TEXT_TOKENS=0]
"""
import glob, json, os, sys

D, H, K, F, LAYERS, HISTORY, CODES = 128, 6, 64, 1024, 4, 20, 4
inner = H * K
folder = sys.argv[1]
text_tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 0
inter = json.load(open(glob.glob(os.path.join(folder, "*.inter.json"))[0]))
index = json.load(open(glob.glob(os.path.join(folder, "*.index.json"))[0]))
# as TigerVocabulary: pad, eos, then per level one more than the largest code ("<a_12>" is code 12)
vocab = 2 + sum(max(int(c[l].split("_")[1].rstrip(">")) for c in index.values()) + 1 for l in range(CODES)) + text_tokens


def macs(items):
    t, td = CODES * items + 1, CODES + 1              # encoder input with eos; decoder codes + eos
    enc = LAYERS * (t * (4 * D * inner + 2 * D * F) + 2 * H * t * t * K)
    dec = LAYERS * (td * (6 * D * inner + 2 * D * F) + t * 2 * D * inner + 2 * H * td * td * K + 2 * H * td * t * K)
    return enc + dec + td * D * vocab


samples = tokens = total = 0
for items in inter.values():
    train = items[:-2]                                  # leave-one-out: the last two are valid and test
    for i in range(1, len(train)):
        n = min(i, HISTORY)
        samples, tokens, total = samples + 1, tokens + CODES * n + 1, total + macs(n)
print(f"{samples} training samples, mean input {tokens / samples:.1f} tokens, vocabulary {vocab}, "
      f"{total * 2 * 3 / 1e12:.1f} TFLOP per epoch (forward + backward)")
