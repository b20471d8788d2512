#!/usr/bin/python3
"""scikit-learn's side of the k-means benchmark (run with Debian's /usr/bin/python3, scikit-learn 1.2).

  bench_kmeans_sklearn.py --write X.f32 [--n 100000] [--d 24] [--seed 12345]
      writes the benchmark matrix: raw little-endian float32, row-major (n, d). A deterministic mixture of
      12 anisotropic Gaussians (random means in [-3, 3]^d, random linear maps, Dirichlet weights): continuous
      data like normalised unit descriptors, so that k = 64 has many near-equal local optima rather than one
      lucky answer, and restarts differ by well under 1 % in inertia.
  bench_kmeans_sklearn.py --file X.f32 [--n 100000] [--d 24] [--k 64] [--n-init 4] [--max-iter 300] [--tol 1e-4]
      times KMeans(n_clusters=k, n_init, max_iter, tol, algorithm='lloyd', random_state=0).fit on the float32
      matrix (after a small warm-up fit) and prints one line:
      "sklearn_kmeans n=.. d=.. k=.. n_init=.. threads=.. seconds=.. inertia=.. n_iter=..".
Threads: set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS in the environment (run_kmeans.sh sets 2).
"""
import argparse
import os
import sys
import time

import numpy as np


def write_matrix(path, n, d, seed):
    rng = np.random.RandomState(seed)
    m = 12
    means = rng.uniform(-3, 3, size=(m, d))
    maps = rng.standard_normal((m, d, d)) / np.sqrt(d) * rng.uniform(0.5, 1.5, size=(m, 1, 1))
    weights = rng.dirichlet(np.ones(m) * 3.0)
    comp = rng.choice(m, size=n, p=weights)
    z = rng.standard_normal((n, d))
    X = (means[comp] + np.einsum("nij,nj->ni", maps[comp], z)).astype("<f4")
    X.tofile(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write")
    ap.add_argument("--file")
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--d", type=int, default=24)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--n-init", type=int, default=4)
    ap.add_argument("--max-iter", type=int, default=300)
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    if a.write:
        write_matrix(a.write, a.n, a.d, a.seed)
        return 0
    if not a.file:
        ap.error("--write or --file")
    from sklearn.cluster import KMeans

    X = np.fromfile(a.file, dtype="<f4").reshape(a.n, a.d)
    KMeans(n_clusters=8, n_init=1, algorithm="lloyd", random_state=0).fit(X[:2000])  # warm-up (OpenMP, BLAS)
    km = KMeans(n_clusters=a.k, n_init=a.n_init, max_iter=a.max_iter, tol=a.tol, algorithm="lloyd", random_state=0)
    t0 = time.perf_counter()
    km.fit(X)
    t = time.perf_counter() - t0
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    print("sklearn_kmeans n=%d d=%d k=%d n_init=%d threads=%s seconds=%.4f inertia=%.9g n_iter=%d"
          % (a.n, a.d, a.k, a.n_init, threads, t, km.inertia_, km.n_iter_))
    return 0


if __name__ == "__main__":
    sys.exit(main())
