#!/usr/bin/env python3
"""Issue 40's experiment queue: runs bench/issue40/jobs.txt one lock hold at a time, resumably.

    python3 bench/issue40/queue.py [--results /work/issue40] [--slice 280] [--gap 30] [--pause-at HH:MM] [--once] [--only ID,ID]
    python3 bench/issue40/queue.py --status          # what is done, partial, waiting; the numbers so far

Every torch command runs under the machine's torch lock (/tmp/letter-torch.lock, flock(2), the same
lock `flock` takes). A training holds it for at most --slice seconds: then it gets SIGTERM (handled as
Ctrl+C: SIGINT would stay ignored in a queue started in the background without job control), writes its
checkpoint and exits, the lock is free for --gap seconds, and the next slice resumes it (`letter train
--resume`; the trainer's resume is bit-exact, mid-epoch included). A slice that ends without a new
checkpoint (a phase that cannot be split, e.g. the final choice on all validation users) doubles the
next slice, up to 30 min. Tokenizer and CF jobs cannot be split (no resume) and hold the lock for their
whole run. The original tokenizer code checkpoints itself every epoch and stops at the slice's end.

Finished jobs are skipped (their done.json), a failed job is marked failed.txt (delete it to retry).
A file PAUSE in the results folder stops the queue at once (a running slice gets SIGTERM and
checkpoints) and keeps it stopped; --pause-at HH:MM (UTC) creates PAUSE then. The CLI is built once per
commit into RESULTS/cli/COMMIT and a job keeps the build it started with, so a resumed training runs the
same code even after the repository moved on.
"""
import argparse
import datetime as dt
import fcntl
import glob
import json
import os
import shlex
import signal
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.abspath(os.path.join(REPO, "..", "shared", "data"))
LOCK = "/tmp/letter-torch.lock"
HERE = os.path.dirname(os.path.abspath(__file__))
MAX_SLICE = 1800
# minutes an unsplittable job is expected to hold the lock (a job is not started when it would run past --pause-at)
ESTIMATE = {("tokenize", "yelp"): 25, ("tokenize", "scientific"): 10, ("cf", "scientific"): 5, ("compare", None): 1,
            ("original", "yelp"): 15}


def utc():
    return dt.datetime.now(dt.timezone.utc)


def stamp():
    return utc().strftime("%Y-%m-%d %H:%M:%S")


class Queue:
    def __init__(self, args):
        self.root = args.results
        self.results = os.path.join(self.root, "results")
        self.pause = os.path.join(self.root, "PAUSE")
        self.slice = args.slice
        self.gap = args.gap
        self.pause_at = args.pause_at
        self.log_file = os.path.join(self.root, "queue.log")
        os.makedirs(self.results, exist_ok=True)
        self.jobs = parse_jobs(args.jobs)
        self.only = set(args.only.split(",")) if args.only else None
        if self.only and self.only - {j["id"] for j in self.jobs}:
            raise SystemExit(f"queue: --only names jobs that {args.jobs} does not list: {', '.join(sorted(self.only - {j['id'] for j in self.jobs}))}")

    # ---------- bookkeeping ----------
    def log(self, message):
        line = f"{stamp()} {message}"
        print(line, flush=True)
        with open(self.log_file, "a") as f:
            f.write(line + "\n")

    def dir(self, job_id):
        return os.path.join(self.results, job_id)

    def done(self, job_id):
        return os.path.exists(os.path.join(self.dir(job_id), "done.json"))

    def failed(self, job_id):
        return os.path.exists(os.path.join(self.dir(job_id), "failed.txt"))

    def paused(self):
        if self.pause_at and utc() >= self.pause_at and not os.path.exists(self.pause):
            with open(self.pause, "w") as f:
                f.write(f"created by queue.py --pause-at at {stamp()} UTC\n")
            self.log(f"created {self.pause} (--pause-at)")
        return os.path.exists(self.pause)

    def minutes_left(self):
        return None if not self.pause_at else (self.pause_at - utc()).total_seconds() / 60

    def write_json(self, path, value):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(value, f, indent=2)
        os.replace(tmp, path)

    def fail(self, job, message):
        with open(os.path.join(self.dir(job["id"]), "failed.txt"), "w") as f:
            f.write(message + "\n")
        self.log(f"{job['id']}: FAILED: {message}")

    # ---------- the CLI build a job runs with ----------
    def cli(self, job_id):
        pinned = os.path.join(self.dir(job_id), "cli.txt")
        if os.path.exists(pinned):
            path = open(pinned).read().strip()
            if os.path.exists(path):
                return path
            self.log(f"{job_id}: its CLI build {path} is gone; using the current one (the run records the version it resumed with)")
        path = self.build_cli()
        with open(pinned, "w") as f:
            f.write(path + "\n")
        return path

    def build_cli(self):
        # keyed by the last commit that changed the code, so that commits of docs or scripts reuse the build
        code = ["src", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json"]
        commit = subprocess.check_output(["git", "-C", REPO, "log", "-1", "--format=%h", "--abbrev=12", "--", *code], text=True).strip()
        dirty = subprocess.check_output(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no", "src"], text=True).strip()
        if dirty:
            raise SystemExit(f"queue: src/ has uncommitted changes; commit them first so that every result names its code ({dirty.splitlines()[0]})")
        out = os.path.join(self.root, "cli", commit)
        dll = os.path.join(out, "Letter.Cli.dll")
        if not os.path.exists(dll):
            self.log(f"building the CLI at {commit} into {out} (no lock: a build does not load libtorch)")
            tmp = out + ".partial"
            subprocess.run(["rm", "-rf", tmp], check=True)
            subprocess.run(["dotnet", "build", os.path.join(REPO, "src", "Letter.Cli", "Letter.Cli.csproj"), "-c", "Release", "-nologo", "-v", "q",
                            "-o", tmp], check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(tmp, "commit.txt"), "w") as f:
                f.write(subprocess.check_output(["git", "-C", REPO, "rev-parse", commit], text=True))
            os.replace(tmp, out)
        return dll

    # ---------- one lock hold ----------
    def hold(self, job_id, argv, limit, interruptible, cwd=None, grace=240):
        """Runs argv under the torch lock for at most `limit` seconds (then SIGTERM when interruptible).
        Returns (exit code, seconds, whether it was interrupted)."""
        job_dir = self.dir(job_id)
        with open(LOCK, "a") as lock:
            waited = time.time()
            fcntl.flock(lock, fcntl.LOCK_EX)
            waited = time.time() - waited
            if self.paused():  # the lead may have paused while we waited
                return None, 0, True
            load0 = os.getloadavg()
            start = time.time()
            with open(os.path.join(job_dir, "log.txt"), "a") as out:
                out.write(f"\n==== {stamp()} UTC: {' '.join(shlex.quote(a) for a in argv)}\n")
                out.flush()
                env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", OPENBLAS_CORETYPE="SkylakeX")
                # SIGINT and SIGQUIT may be ignored here (a background job of a shell without job control),
                # and an ignored signal stays ignored in the child: stop children with SIGTERM, which the
                # trainer and the original's driver handle like Ctrl+C, and give them default SIGINT anyway
                child = subprocess.Popen(argv, stdout=out, stderr=out, cwd=cwd or REPO, env=env, start_new_session=True,
                                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
                interrupted, signalled_at = False, None
                while child.poll() is None:
                    time.sleep(2)
                    now = time.time()
                    if signalled_at is None and ((interruptible and now - start > limit) or self.paused()):
                        child.send_signal(signal.SIGTERM)
                        interrupted, signalled_at = True, now
                    elif signalled_at is not None and now - signalled_at > grace:
                        self.log(f"{job_id}: no exit {grace} s after SIGTERM: killing it (the last checkpoint stays)")
                        os.killpg(child.pid, signal.SIGKILL)
                        signalled_at = now + 10 ** 9
                rc = child.returncode
            seconds = time.time() - start
            load1 = os.getloadavg()
        with open(os.path.join(job_dir, "slices.tsv"), "a") as f:
            f.write(f"{stamp()}\t{argv[1] if len(argv) > 1 else argv[0]}\t{seconds:.0f}\t{rc}\t{int(interrupted)}\t"
                    f"{waited:.0f}\t{load0[0]:.2f}\t{load1[0]:.2f}\n")
        self.log(f"{job_id}: {os.path.basename(argv[1]) if len(argv) > 1 else argv[0]} held the lock {seconds:.0f} s "
                 f"(waited {waited:.0f} s), exit {rc}{', interrupted' if interrupted else ''}, load {load0[0]:.2f} -> {load1[0]:.2f}")
        return rc, seconds, interrupted

    def letter(self, job_id, *args):
        return ["dotnet", self.cli(job_id), *args]

    # ---------- jobs ----------
    def runnable(self):
        for job in self.jobs:
            if self.done(job["id"]) or self.failed(job["id"]) or (self.only and job["id"] not in self.only):
                continue
            if all(self.done(a) for a in job["after"]):
                started = os.path.exists(os.path.join(self.dir(job["id"]), "work", "chunk.pt"))
                if job["kind"] in ("tokenize", "cf", "compare") or (job["kind"] == "original" and not started):
                    key = (job["kind"], job["args"][0] if job["kind"] != "compare" else None)
                    left = self.minutes_left()
                    if left is not None and left < ESTIMATE.get(key, 10):
                        continue
                yield job

    def run(self, once):
        self.log(f"queue started: {len(self.jobs)} jobs, slice {self.slice} s, gap {self.gap} s" +
                 (f", pause at {self.pause_at:%H:%M} UTC" if self.pause_at else ""))
        while True:
            if self.paused():
                self.log(f"paused ({self.pause} exists): stopping; delete it and start the queue again to go on")
                return
            job = next(self.runnable(), None)
            if job is None:
                waiting = [j["id"] for j in self.jobs if not self.done(j["id"]) and not self.failed(j["id"])]
                self.log("nothing to run" + (f"; waiting: {', '.join(waiting)}" if waiting else ": every job is done"))
                return
            os.makedirs(self.dir(job["id"]), exist_ok=True)
            try:
                getattr(self, "run_" + job["kind"])(job)
            except subprocess.CalledProcessError as e:
                self.fail(job, f"{e}")
            if once:
                return
            time.sleep(self.gap)

    def dataset(self, name):
        folder = os.path.join(DATA, name)
        inter = glob.glob(os.path.join(folder, "*.inter.json"))
        if not inter:
            raise SystemExit(f"queue: no *.inter.json in {folder}")
        return folder, os.path.basename(inter[0])[: -len(".inter.json")]

    def cf_file(self, job_id):
        files = glob.glob(os.path.join(self.dir(job_id), "*.npy"))
        return files[0]

    def index_of(self, ref, dataset):
        folder, name = self.dataset(dataset)
        if ref == "official":
            return os.path.join(folder, f"{name}.index.json")
        return json.load(open(os.path.join(self.dir(ref), "done.json")))["index"]

    @staticmethod
    def take(args, flag):
        """Removes `flag VALUE` from args; returns the value (or None)."""
        if flag in args:
            i = args.index(flag)
            value = args[i + 1]
            del args[i:i + 2]
            return value
        return None

    def run_cf(self, job):
        folder, name = self.dataset(job["args"][0])
        out = os.path.join(self.dir(job["id"]), f"{name}.cf-sasrec-32d.npy")
        rc, _, _ = self.hold(job["id"], self.letter(job["id"], "cf", folder, "--out", out, *job["args"][1:]), 0, False)
        if rc == 0 and os.path.exists(out):
            self.write_json(os.path.join(self.dir(job["id"]), "done.json"), {"cf": out, "finished": stamp()})
        elif rc not in (None, 130):
            self.fail(job, f"letter cf exited {rc} (log.txt)")

    def run_tokenize(self, job):
        args = list(job["args"])
        folder, name = self.dataset(args.pop(0))
        cf_from = self.take(args, "--cf-from")
        if cf_from:
            args = ["--cf", self.cf_file(cf_from)] + args
        final = os.path.join(self.dir(job["id"]), "tok")
        partial = final + ".partial"
        subprocess.run(["rm", "-rf", partial], check=True)
        rc, seconds, _ = self.hold(job["id"], self.letter(job["id"], "tokenize", folder, "--out", partial, "--quiet", *args), 0, False)
        if rc == 0:
            os.replace(partial, final)
            report = json.load(open(os.path.join(final, "tokenizer-report.json")))
            self.write_json(os.path.join(self.dir(job["id"]), "done.json"),
                            {"index": os.path.join(final, f"{name}.index.json"), "seconds": round(seconds), "finished": stamp(), "report": report})
        elif rc not in (None, 130):
            self.fail(job, f"letter tokenize exited {rc} (log.txt)")

    def run_original(self, job):
        args = list(job["args"])
        folder, name = self.dataset(args.pop(0))
        cf_from = self.take(args, "--cf-from")
        cf = self.cf_file(cf_from) if cf_from else os.path.join(folder, f"{name}.cf-sasrec-32d.npy")
        work = os.path.join(self.dir(job["id"]), "work")
        index = os.path.join(self.dir(job["id"]), f"{name}.index.json")
        argv = ["/usr/bin/python3", os.path.join(HERE, "original_tokenizer.py"), "--semantic", os.path.join(folder, f"{name}.emb-minilm.npy"),
                "--cf", cf, "--work", work, "--seconds", str(self.slice), "--name", name, "--index", index, *args]
        # the driver stops itself after --seconds (or after the epoch in progress on SIGTERM); its codebook
        # initialisation (minutes, before the first chunk) cannot be split: a SIGTERM there ends it unsaved
        rc, _, interrupted = self.hold(job["id"], argv, self.slice + 120, True)
        if rc == 0 and os.path.exists(index):
            check = json.load(open(index + ".check.json"))
            # its statistics and CF alignment by our own measure, as for every other index
            code, text = self.quick(self.letter(job["id"], "tokenize", "inspect", index, "--cf", cf))
            with open(os.path.join(self.dir(job["id"]), "inspect.txt"), "w") as f:
                f.write(text)
            self.write_json(os.path.join(self.dir(job["id"]), "done.json"), {"index": index, "finished": stamp(), "check": check})
        elif rc not in (None, 75) and not interrupted:
            self.fail(job, f"original_tokenizer.py exited {rc} (log.txt)")

    def run_train(self, job):
        args = list(job["args"])
        dataset = args.pop(0)
        folder, name = self.dataset(dataset)
        index = self.index_of(args.pop(0), dataset)
        job_dir = self.dir(job["id"])
        run = os.path.join(job_dir, "run")
        trained = os.path.join(job_dir, "trained.txt")
        if not os.path.exists(trained):
            limit_file = os.path.join(job_dir, "slice.txt")
            limit = int(open(limit_file).read()) if os.path.exists(limit_file) else self.slice
            before = checkpoint_mark(run)
            rc, _, interrupted = self.hold(job["id"], self.letter(job["id"], "train", folder, "--index", index, "--out", run, "--resume", *args),
                                           limit, True)
            if rc == 0:
                with open(trained, "w") as f:
                    f.write(stamp() + "\n")
            elif rc in (None, 130) or interrupted:
                stuck = checkpoint_mark(run) == before and rc is not None
                with open(limit_file, "w") as f:
                    f.write(str(min(MAX_SLICE, limit * 2) if stuck else self.slice))
                if stuck:
                    self.log(f"{job['id']}: no new checkpoint in {limit} s: the next slice may hold the lock {min(MAX_SLICE, limit * 2)} s")
                return
            else:
                self.fail(job, f"letter train exited {rc} (log.txt)")
                return
            time.sleep(self.gap)
        rc, _, _ = self.hold(job["id"], self.letter(job["id"], "eval", run), 0, False)
        if rc != 0:
            if rc not in (None, 130):
                self.fail(job, f"letter eval exited {rc} (log.txt)")
            return
        metrics = json.load(open(os.path.join(run, "metrics.json")))
        curve = json.load(open(os.path.join(run, "training-curve.json")))
        self.write_json(os.path.join(job_dir, "done.json"), {
            "index": index, "finished": stamp(), "epochs": len(curve), "curve": curve,
            "test": metrics, "slices": slice_summary(job_dir)})

    def quick(self, argv):
        """A short command under the lock (seconds): its exit code and output."""
        with open(LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            p = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1"))
        return p.returncode, p.stdout + p.stderr

    def run_compare(self, job):
        a, b = (os.path.join(self.dir(j), "run") for j in job["args"][:2])
        out = os.path.join(self.dir(job["id"]), "compare.txt")
        texts = []
        for extra in ([], ["--item-match"], ["--by-target"]):
            code, text = self.quick(self.letter(job["id"], "compare", a, b, *extra))
            if code != 0:
                self.fail(job, f"letter compare exited {code}: {text.strip()}")
                return
            texts.append(f"$ letter compare {' '.join(job['args'][:2])} {' '.join(extra)}\n{text}")
        with open(out, "w") as f:
            f.write("\n".join(texts))
        self.write_json(os.path.join(self.dir(job["id"]), "done.json"), {"compare": out, "finished": stamp()})
        self.log(f"{job['id']}: compared")


def checkpoint_mark(run):
    files = glob.glob(os.path.join(run, "checkpoints", "*"))
    return max((os.path.getmtime(f) for f in files), default=0)


def slice_summary(job_dir):
    rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(job_dir, "slices.tsv"))]
    loads = [float(r[6]) for r in rows] + [float(r[7]) for r in rows]
    return {"holds": len(rows), "seconds": sum(float(r[2]) for r in rows), "load_min": min(loads), "load_max": max(loads)}


def parse_jobs(path):
    jobs, seen = [], set()
    for number, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) < 4:
            raise SystemExit(f"{path}:{number}: expected ID AFTER KIND ARGUMENTS")
        job_id, after, kind, args = fields[0], fields[1], fields[2], fields[3:]
        if kind not in ("cf", "tokenize", "original", "train", "compare"):
            raise SystemExit(f"{path}:{number}: unknown kind '{kind}'")
        if job_id in seen:
            raise SystemExit(f"{path}:{number}: job '{job_id}' is listed twice")
        deps = [] if after == "-" else after.split(",")
        unknown = [d for d in deps if d not in seen]
        if unknown:
            raise SystemExit(f"{path}:{number}: '{job_id}' waits for {', '.join(unknown)}, which no earlier line defines")
        seen.add(job_id)
        jobs.append({"id": job_id, "after": deps, "kind": kind, "args": args})
    return jobs


def status(q):
    for job in q.jobs:
        d = q.dir(job["id"])
        if q.done(job["id"]):
            info = json.load(open(os.path.join(d, "done.json")))
            extra = ""
            if job["kind"] == "train":
                m = info["test"]
                kept = m.get("beam_kept", {}).get("all")
                extra = (f"R@10 {m['recall@10']:.4f} N@10 {m['ndcg@10']:.4f} "
                         f"beam kept {'/'.join(f'{k:.3f}' for k in kept) if kept else '-'}; {info['epochs']} epochs, "
                         f"{info['slices']['holds']} holds, load {info['slices']['load_min']:.1f}-{info['slices']['load_max']:.1f}")
            elif job["kind"] == "tokenize":
                r = info["report"]
                extra = f"{info['seconds']} s, {r.get('epochs')} epochs"
            print(f"done     {job['id']:22} {extra}")
        elif q.failed(job["id"]):
            print(f"FAILED   {job['id']:22} {open(os.path.join(d, 'failed.txt')).read().strip()}")
        elif os.path.isdir(d):
            note = ""
            curve = os.path.join(d, "run", "training-curve.json")
            if os.path.exists(curve):
                note = f"{len(json.load(open(curve)))} epochs done"
            if os.path.exists(os.path.join(d, "trained.txt")):
                note = "trained, not yet evaluated"
            print(f"partial  {job['id']:22} {note}")
        else:
            print(f"waiting  {job['id']:22} after {','.join(job['after']) or '-'}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default="/work/issue40", help="where results, logs, CLI builds and PAUSE live (outside the repository)")
    p.add_argument("--jobs", default=os.path.join(HERE, "jobs.txt"))
    p.add_argument("--slice", type=int, default=280, help="seconds a training may hold the torch lock at a time")
    p.add_argument("--gap", type=int, default=30, help="seconds between lock holds, for others to take the lock")
    p.add_argument("--pause-at", help="HH:MM UTC: create PAUSE then (the running slice stops and checkpoints)")
    p.add_argument("--once", action="store_true", help="run one lock hold and stop")
    p.add_argument("--only", help="comma-separated job ids: run only these (their AFTER jobs must be done)")
    p.add_argument("--status", action="store_true", help="print every job's state and stop")
    args = p.parse_args()
    if args.pause_at:
        hour, minute = (int(x) for x in args.pause_at.split(":"))
        at = utc().replace(hour=hour, minute=minute, second=0, microsecond=0)
        args.pause_at = at if at > utc() else at + dt.timedelta(days=1)
    q = Queue(args)
    if args.status:
        status(q)
    else:
        q.run(args.once)


if __name__ == "__main__":
    sys.exit(main())
