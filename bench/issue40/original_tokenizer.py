#!/usr/bin/python3
"""Runs the original LETTER tokenizer code (github HonghuiBao2000/LETTER, RQ-VAE/) on given inputs, in
chunks that resume exactly, then its generate_indices.py, then checks and converts the index.

    /usr/bin/python3 bench/issue40/original_tokenizer.py --semantic SEM.npy --cf CF.npy --work DIR --name Yelp
        --index OUT.index.json [--epochs 200] [--seconds 280] [--src /work/issue40/original-src/RQ-VAE]

Needs Debian's PyTorch (apt-get install python3-torch libopenblas0-openmp python3-scipy python3-tqdm) and
a scratch copy of the original's RQ-VAE/ folder outside the repository (--src; made with `git archive`
from the fetched repository, see docs/benchmarks.md); nothing of it is copied into this project. The
stand-ins in original_shims/ replace k-means-constrained (not installable here), wandb and sklearn.

What runs is the original's: its model (RQVAE with the Instruments script's settings: alpha 0.01, beta
1e-4, Sinkhorn epsilons 0, 0, 0, 0.003, 256 x 4 codes of 32 dims, lr 1e-3, AdamW wd 1e-4, batch 1024,
k-means init), its Trainer's vq_init and _train_epoch, its fit loop's evaluation rule (collision rate
every min(2000, epochs) epochs, the best checkpoint by collision rate), and its generate_indices.py
(nearest codes, then up to 20 rounds of Sinkhorn at the last level on colliding groups). The epoch
count is fixed (--epochs), not the original's 20,000 GPU epochs. The work folder holds a chunk
checkpoint (weights, optimizer, epoch, and the torch, numpy and Python random states, so the resumed
run draws the same batches, k-means starts and diversity positives).

Exit codes: 0 done (index written), 75 more epochs to run (call again), 2 bad input.
"""
import argparse
import json
import os
import random
import runpy
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MORE = 75


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", default="/work/issue40/original-src/RQ-VAE", help="scratch copy of the original's RQ-VAE/ folder")
    p.add_argument("--semantic", required=True)
    p.add_argument("--cf", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--name", required=True, help="dataset name (index file prefix)")
    p.add_argument("--index", required=True, help="where the converted index goes")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--alpha", type=float, default=0.01, help="the Instruments script's CF weight (the paper says 0.02)")
    p.add_argument("--beta", type=float, default=1e-4)
    p.add_argument("--seconds", type=float, default=280, help="stop after the epoch that passes this many seconds (0: no limit)")
    p.add_argument("--threads", type=int, default=2)
    return p.parse_args()


def original_args(a):
    """main.py's parse_args() defaults with the Instruments script's overrides, for the CPU."""
    return argparse.Namespace(
        lr=1e-3, epochs=a.epochs, batch_size=1024, num_workers=0, eval_step=2000, learner="AdamW", data_path=os.path.abspath(a.semantic),
        weight_decay=1e-4, dropout_prob=0.0, bn=False, loss_type="mse", kmeans_init=True, kmeans_iters=100,
        sk_epsilons=[0.0, 0.0, 0.0, 0.003], sk_iters=50, device="cpu", num_emb_list=[256, 256, 256, 256], e_dim=32,
        quant_loss_weight=1.0, alpha=a.alpha, beta=a.beta, n_clusters=10, sample_strategy="all", cf_emb=os.path.abspath(a.cf),
        layers=[2048, 1024, 512, 256, 128, 64], ckpt_dir=os.path.join(os.path.abspath(a.work), "ckpt"))


def main():
    a = parse()
    for f in (a.semantic, a.cf):
        if not os.path.exists(f):
            print(f"original_tokenizer: {f} does not exist", file=sys.stderr)
            return 2
    if not os.path.exists(os.path.join(a.src, "models", "rqvae.py")):
        print(f"original_tokenizer: {a.src} is not a copy of the original's RQ-VAE/ folder", file=sys.stderr)
        return 2
    sys.path[:0] = [os.path.join(HERE, "original_shims"), a.src]
    import numpy as np
    import torch
    from torch.utils.data import DataLoader
    from datasets import EmbDataset
    from models.rqvae import RQVAE
    from trainer import Trainer

    torch.set_num_threads(a.threads)
    os.makedirs(a.work, exist_ok=True)
    chunk = os.path.join(a.work, "chunk.pt")
    args = original_args(a)
    ckpt_name = "best_collision_model.pth"
    best_dir = os.path.join(a.work, f"alpha{a.alpha}-beta{a.beta}")
    started = time.time()
    stop = {"now": False}

    def finish_the_epoch():
        # from the first saved chunk on, a signal ends the run after the current epoch (seconds), saved;
        # before it (the codebook initialisation, minutes) it ends the process at once
        signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))

    if not os.path.exists(os.path.join(best_dir, ckpt_name)):
        # main.py: the seeds, the data, the model, the loader, the trainer
        random.seed(42)
        np.random.seed(42)
        torch.manual_seed(42)
        cf_emb = np.load(args.cf_emb).astype(np.float32)
        data = EmbDataset(args.data_path)
        model = RQVAE(in_dim=data.dim, num_emb_list=args.num_emb_list, e_dim=args.e_dim, layers=args.layers, dropout_prob=args.dropout_prob,
                      bn=args.bn, loss_type=args.loss_type, quant_loss_weight=args.quant_loss_weight, kmeans_init=args.kmeans_init,
                      kmeans_iters=args.kmeans_iters, sk_epsilons=args.sk_epsilons, sk_iters=args.sk_iters, beta=args.beta,
                      alpha=args.alpha, n_clusters=args.n_clusters, sample_strategy=args.sample_strategy, cf_embedding=cf_emb)
        loader = DataLoader(data, num_workers=args.num_workers, batch_size=args.batch_size, shuffle=True, pin_memory=False)
        trainer = Trainer(args, model)
        first = 0
        if os.path.exists(chunk):
            state = torch.load(chunk)
            model.load_state_dict(state["model"])
            trainer.optimizer.load_state_dict(state["optimizer"])
            for vq in model.rq.vq_layers:
                vq.initted = True  # the k-means init happened before the first chunk was saved
            trainer.labels, trainer.best_loss, trainer.best_collision_rate = state["labels"], state["best_loss"], state["best_collision_rate"]
            torch.set_rng_state(state["torch_rng"])
            np.random.set_state(state["numpy_rng"])
            random.setstate(state["python_rng"])
            first = state["epoch"]
            finish_the_epoch()
            print(f"resumed at epoch {first} of {args.epochs}", flush=True)
        else:
            t = time.time()
            trainer.vq_init()
            print(f"codebook initialisation {time.time() - t:.0f} s", flush=True)
            save(torch, np, chunk, model, trainer, 0)
            finish_the_epoch()
            if stop["now"] or (a.seconds and time.time() - started > a.seconds):
                return MORE
        eval_step = min(args.eval_step, args.epochs)  # Trainer.__init__'s rule
        for epoch in range(first, args.epochs):
            t = time.time()
            loss, recon, cf, quant = trainer._train_epoch(loader, epoch)
            line = f"epoch {epoch}: loss {loss:.4f} recon {recon:.4f} cf {cf:.4f} ({time.time() - t:.1f} s)"
            if loss < trainer.best_loss:
                trainer.best_loss = loss
            if (epoch + 1) % eval_step == 0:  # fit()'s evaluation: the best checkpoint by collision rate
                collision = trainer._valid_epoch(loader)
                line += f", collision rate {collision:.4f}"
                if collision < trainer.best_collision_rate:
                    trainer.best_collision_rate = collision
                    trainer._save_checkpoint(epoch, collision_rate=collision, ckpt_file=ckpt_name)
                    os.makedirs(best_dir, exist_ok=True)
                    shutil.copy(os.path.join(trainer.ckpt_dir, ckpt_name), os.path.join(best_dir, ckpt_name + ".partial"))
            print(line, flush=True)
            save(torch, np, chunk, model, trainer, epoch + 1)
            if epoch + 1 == args.epochs:
                os.replace(os.path.join(best_dir, ckpt_name + ".partial"), os.path.join(best_dir, ckpt_name))
            elif stop["now"] or (a.seconds and time.time() - started > a.seconds):
                return MORE

    # generate_indices.py, as the original runs it (its only edit in the scratch copy: device cuda:0 -> cpu)
    generated = os.path.join(a.work, "data", a.name, f"{a.name}.index.epoch{a.epochs}.alpha{a.alpha}-beta{a.beta}.json")
    if not os.path.exists(generated):
        os.makedirs(os.path.dirname(generated), exist_ok=True)
        script = os.path.join(a.src, "generate_indices.py")
        argv = [script, "--dataset", a.name, "--root_path", os.path.abspath(a.work) + "/", "--alpha", str(a.alpha), "--beta", str(a.beta),
                "--epoch", str(a.epochs), "--checkpoint", ckpt_name]
        cwd, sys.argv = os.getcwd(), argv
        os.chdir(a.work)
        try:
            t = time.time()
            runpy.run_path(script, run_name="__main__")
            print(f"generate_indices.py {time.time() - t:.0f} s", flush=True)
        finally:
            os.chdir(cwd)
    subprocess.run([sys.executable, os.path.join(HERE, "convert_index.py"), generated, "--items", str(len(np.load(a.semantic, mmap_mode="r"))),
                    "--out", a.index], check=True)
    return 0


def save(torch, np, path, model, trainer, epoch):
    state = {"model": model.state_dict(), "optimizer": trainer.optimizer.state_dict(), "epoch": epoch, "labels": trainer.labels,
             "best_loss": trainer.best_loss, "best_collision_rate": trainer.best_collision_rate,
             "torch_rng": torch.get_rng_state(), "numpy_rng": np.random.get_state(), "python_rng": random.getstate()}
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
