"""Stand-in for the k-means-constrained package (it needs OR-Tools, which is not installable here), for
running the original LETTER tokenizer code. The same outer loop as the package: n_init restarts from
greedy k-means++ starts (sklearn's, 2 + log k local trials), max_iter rounds of size-bounded assignment
and centre update, stop when the centres move less than tol x the mean feature variance, a last
assignment, the restart of lowest inertia wins; randomness from numpy's global generator, as the
package with random_state=None.

The size-bounded assignment is exact (minimum total squared distance, as the package's min-cost flow)
when the problem is small enough for a dense assignment over cluster slots (the per-epoch clustering of
256 codes into 10 groups and generate_indices.py's); the codebook initialisation (20,000 latents into
256 clusters) would need a 20,000 x 40,000 matrix, so there it is greedy: points in order of their
nearest-centre distance take the nearest centre with room, then clusters under size_min take their
nearest points from clusters above it. docs/benchmarks.md says where this differs from the original.
"""
import numpy as np
from scipy.optimize import linear_sum_assignment

EXACT_LIMIT = 2_000_000  # points x slots of the dense assignment


def _squared(x, centers):
    d = (x * x).sum(1)[:, None] + (centers * centers).sum(1)[None, :] - 2 * x @ centers.T
    return np.maximum(d, 0)


def _kmeans_pp(x, k, rs):
    n = len(x)
    trials = 2 + int(np.log(k))
    centers = np.empty((k, x.shape[1]))
    first = rs.randint(n)
    centers[0] = x[first]
    closest = _squared(x, centers[:1])[:, 0]
    pot = closest.sum()
    for c in range(1, k):
        rand = rs.random_sample(trials) * pot
        candidates = np.searchsorted(np.cumsum(closest), rand)
        candidates = np.clip(candidates, None, n - 1)
        dist = np.minimum(closest[:, None], _squared(x, x[candidates]))  # [n, trials]
        pots = dist.sum(0)
        best = int(np.argmin(pots))
        centers[c] = x[candidates[best]]
        closest, pot = dist[:, best], pots[best]
    return centers


def _assign_exact(d, size_min, size_max):
    n, k = d.shape
    slots = np.repeat(np.arange(k), size_max)  # slot -> cluster
    cost = d[:, slots]
    mandatory = np.tile(np.arange(size_max) < size_min, k)
    # a bonus larger than any rearrangement can gain fills every cluster's first size_min slots first
    bonus = (d.max() - d.min()) * n + 1.0
    cost = cost - bonus * mandatory[None, :]
    rows, cols = linear_sum_assignment(cost)
    labels = np.empty(n, dtype=np.int64)
    labels[rows] = slots[cols]
    return labels


def _assign_greedy(d, size_min, size_max):
    n, k = d.shape
    labels = np.full(n, -1, dtype=np.int64)
    counts = np.zeros(k, dtype=np.int64)
    preference = np.argsort(d, axis=1)
    for i in np.argsort(d.min(1), kind="stable"):
        for j in preference[i]:
            if counts[j] < size_max:
                labels[i] = j
                counts[j] += 1
                break
    for j in np.where(counts < size_min)[0]:
        for i in np.argsort(d[:, j], kind="stable"):
            if counts[j] >= size_min:
                break
            a = labels[i]
            if a != j and counts[a] > size_min:
                labels[i] = j
                counts[a] -= 1
                counts[j] += 1
    return labels


def assign(d, size_min, size_max):
    n, k = d.shape
    if n * k * size_max <= EXACT_LIMIT:
        return _assign_exact(d, size_min, size_max)
    return _assign_greedy(d, size_min, size_max)


class KMeansConstrained:
    def __init__(self, n_clusters=8, size_min=None, size_max=None, init="k-means++", n_init=10, max_iter=300, tol=1e-4,
                 verbose=False, random_state=None, copy_x=True, n_jobs=1):
        self.n_clusters = n_clusters
        self.size_min = size_min or 0
        self.size_max = size_max
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y=None):
        x = np.asarray(X, dtype=np.float64)
        n, k = len(x), self.n_clusters
        size_max = self.size_max if self.size_max is not None else n
        if self.size_min * k > n or size_max * k < n:
            raise ValueError(f"no assignment of {n} points to {k} clusters of sizes {self.size_min}..{size_max}")
        rs = np.random.mtrand._rand if self.random_state is None else np.random.RandomState(self.random_state)
        tol = np.mean(np.var(x, axis=0)) * self.tol
        best = None
        for _ in range(self.n_init):
            centers = _kmeans_pp(x, k, rs)
            shift = 0.0
            for _ in range(self.max_iter):
                labels = assign(_squared(x, centers), self.size_min, size_max)
                old = centers
                centers = np.stack([x[labels == j].mean(0) for j in range(k)])
                shift = ((old - centers) ** 2).sum()
                if shift <= tol:
                    break
            if shift > 0:
                labels = assign(_squared(x, centers), self.size_min, size_max)
            inertia = ((x - centers[labels]) ** 2).sum()
            if best is None or inertia < best[0]:
                best = (inertia, labels, centers)
        self.inertia_, self.labels_, self.cluster_centers_ = best
        return self
