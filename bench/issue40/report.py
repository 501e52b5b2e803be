#!/usr/bin/env python3
"""Markdown tables of the issue-40 queue's finished jobs, for docs/benchmarks.md.

    python3 bench/issue40/report.py [--results /work/issue40] [--jobs bench/issue40/jobs.txt]

Tokenizers (ours and the original code's), TIGER runs (test metrics on all test users, beam survival per
level, new / repeat targets, lock holds and load range) and the paired comparisons, as the queue left them.
"""
import argparse
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    return json.load(open(path)) if os.path.exists(path) else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default="/work/issue40")
    p.add_argument("--jobs", default=os.path.join(HERE, "jobs.txt"))
    a = p.parse_args()
    results = os.path.join(a.results, "results")
    jobs = []
    for line in open(a.jobs):
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 4:
            jobs.append((fields[0], fields[2], fields[3:]))

    print("| tokenizer job | settings | epochs (stop) | level 1 / 2 / 3 / 4: codes, bits | prefixes 1 / 2 / 3 | collisions nearest / final (largest group) | CF neighbour share (chance) | cos(z_q, cf) | recon MSE |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for job_id, kind, args in jobs:
        done = load(os.path.join(results, job_id, "done.json"))
        if kind == "tokenize" and done:
            r = done["report"]
            s = r["statistics"]
            levels = " / ".join(f"{l['codes_used']}, {l['entropy_bits']:.2f}" for l in s["per_level"])
            cf = r.get("cf_alignment") or {}
            share = f"{cf['neighbour_first_code_share']:.4f} ({cf['chance_share']:.4f}) = {cf['neighbour_first_code_share'] / cf['chance_share']:.1f}x" if cf else "-"
            cos = f"{cf['mean_cosine']:.3f}" if cf.get("mean_cosine") is not None else "-"
            stop = "plateau" if r["stop_reason"].startswith("plateau") else r["stop_reason"]
            print(f"| {job_id} | {' '.join(args[1:])} | {r['epochs_run']} ({stop}) | {levels} | {' / '.join(f'{n:,}' for n in s['distinct_prefixes'][:3])} | "
                  f"{r['nearest']['collision_rate']:.4f} / {r['final']['collision_rate']:.4f} ({r['final']['max_group']}) | {share} | {cos} | {r['reconstruction_mse']:.5f} |")
        elif kind == "original" and done:
            c = done["check"]
            levels = " / ".join(f"{l['codes_used']}, {l['entropy_bits']:.2f}" for l in c["per_level"])
            print(f"| {job_id} (original code) | {' '.join(args[1:])} | - | {levels} | {' / '.join(f'{n:,}' for n in c['prefixes'][:3])} | "
                  f"- / {c['collision_rate']:.4f} ({c['largest_group']}) | - | - | - |")

    print()
    print("| TIGER job | index | epochs | R@10 | N@10 | item match R@10 / N@10 | beam kept after level 1 / 2 / 3 / 4 | new-target R@10 | repeat-target R@10 | lock holds, minutes, load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for job_id, kind, args in jobs:
        done = load(os.path.join(results, job_id, "done.json"))
        if kind != "train" or not done:
            continue
        m = done["test"]
        kept = " / ".join(f"{k:.3f}" for k in m["beam_kept"]["all"])
        bt = m.get("by_target", {})
        sl = done["slices"]
        print(f"| {job_id} | {args[1]} | {done['epochs']} | {m['recall@10']:.4f} | {m['ndcg@10']:.4f} | {m['item_match']['recall@10']:.4f} / {m['item_match']['ndcg@10']:.4f} | "
              f"{kept} | {bt.get('new', {}).get('recall@10', float('nan')):.4f} | {bt.get('repeat', {}).get('recall@10', float('nan')):.4f} | "
              f"{sl['holds']}, {sl['seconds'] / 60:.0f}, {sl['load_min']:.1f}-{sl['load_max']:.1f} |")

    for job_id, kind, args in jobs:
        path = os.path.join(results, job_id, "compare.txt")
        if kind == "compare" and os.path.exists(path):
            print(f"\n`{job_id}`:\n")
            print("    " + "\n    ".join(l for l in open(path).read().splitlines() if not re.match(r"^[AB]: ", l)))


if __name__ == "__main__":
    main()
