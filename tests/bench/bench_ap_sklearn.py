#!/usr/bin/python3
"""scikit-learn's side of the affinity-propagation benchmark (Debian's /usr/bin/python3, scikit-learn 1.2).

  bench_ap_sklearn.py --file X.f32 --d D [--damping 0.5] [--max-iter 200] [--convergence-iter 15]
                      [--labels OUT.txt] [--ours LABELS.txt]
times AffinityPropagation(damping, max_iter, convergence_iter, preference=None (the median similarity, as
`analyze --cluster ap`), random_state=0).fit on the matrix bench_ap wrote (raw little-endian float32 (n, d),
the weighted normalised descriptors; scikit-learn works on it in float64), and prints one line:
  "sklearn_ap n=.. d=.. seconds=<wall> cpu=<process CPU s> clusters=.. converged=.. n_iter=.."
With --ours, also "agreement ari=<adjusted Rand index> same_labels=<fraction of units with the same label (both
number clusters in order of exemplar index)> clusters_ours=.. clusters_sklearn=.." against bench_ap's labels.
Threads: set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS in the environment (run_ap.sh sets 2).
"""
import argparse
import os
import time
import warnings

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--d", type=int, required=True)
    ap.add_argument("--damping", type=float, default=0.5)
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--convergence-iter", type=int, default=15)
    ap.add_argument("--labels")
    ap.add_argument("--ours")
    a = ap.parse_args()
    from sklearn.cluster import AffinityPropagation
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import adjusted_rand_score

    X = np.fromfile(a.file, dtype="<f4").reshape(-1, a.d).astype(np.float64)
    apc = AffinityPropagation(damping=a.damping, max_iter=a.max_iter, convergence_iter=a.convergence_iter,
                              random_state=0)
    converged = 1
    w0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apc.fit(X)
        converged = 0 if any(issubclass(w.category, ConvergenceWarning) for w in caught) else 1
    w1, c1 = time.perf_counter(), time.process_time()
    lab = apc.labels_
    nc = len(apc.cluster_centers_indices_)
    print(f"sklearn_ap n={X.shape[0]} d={a.d} threads={os.environ.get('OMP_NUM_THREADS', 'default')} "
          f"seconds={w1 - w0:.3f} cpu={c1 - c0:.3f} clusters={nc} converged={converged} n_iter={apc.n_iter_}")
    if a.labels:
        np.savetxt(a.labels, lab, fmt="%d")
    if a.ours:
        ours = np.loadtxt(a.ours, dtype=np.int64)
        print(f"agreement ari={adjusted_rand_score(lab, ours):.4f} "
              f"same_labels={np.mean(lab == ours):.4f} clusters_ours={len(set(ours.tolist()))} "
              f"clusters_sklearn={nc}")


if __name__ == "__main__":
    main()
