#!/usr/bin/python3
"""Reference fixtures for corpus-tools/src/cs_cluster.c, computed with Debian's scikit-learn 1.2.

Run with Debian's interpreter (numpy 1.24, scikit-learn 1.2):  /usr/bin/python3 tests/scripts/cluster_reference.py
It rewrites tests/fixtures/cluster_*; tests/c/test_cluster.c reads only those files.

Layouts (plain text, '#' starts a comment line, fields separated by blanks):
  cluster_<name>.txt      data: "n d" then n rows of d float32 values printed with %.9g (exact round trip).
  cluster_kmeans_ref.txt  one case a line: data weights k n_init max_iter tol inertia
                          (weights: "none" or d comma-separated float32 values; inertia: sklearn's best
                          KMeans.inertia_ over the same n_init, algorithm='lloyd', random_state=0)
  cluster_dbscan_ref.txt  a case = a line "data weights eps min_samples n_clusters n n_core n_border n_noise"
                          then a line of the n sklearn DBSCAN labels (-1 = noise)
  cluster_ap_ref.txt      a case = a line "data weights damping max_iter convergence_iter preference converged
                          n_clusters n noise_diff" (preference nan = the median of S; noise_diff = the most
                          exemplars by which sklearn's own answers differ when only its tie-breaking noise seed
                          changes, random_state 0..7: 0 for a well-posed case; a non-converged state can be
                          noise-sensitive, and our noise comes from another generator)
                          then a line of the exemplar indices, then a line of the n labels
Weighted cases give sklearn the matrix X * sqrt(w) computed in float32, as cs_cluster.c does.
"""
import os
import warnings

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN, AffinityPropagation, KMeans, affinity_propagation
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.environ.get("CS_FIXTURE_OUT", os.path.join(HERE, "..", "fixtures"))


def write_data(name, X):
    X = np.asarray(X, dtype=np.float32)
    path = os.path.join(FIX, "cluster_%s.txt" % name)
    with open(path, "w") as f:
        f.write("# written by tests/scripts/cluster_reference.py: n d, then n rows of d float32 values\n")
        f.write("%d %d\n" % X.shape)
        for row in X:
            f.write(" ".join("%.9g" % float(v) for v in row) + "\n")
    return "cluster_%s.txt" % name


def weighted(X, w):
    if w is None:
        return X.astype(np.float32)
    return (X.astype(np.float32) * np.sqrt(np.asarray(w, dtype=np.float32))).astype(np.float32)


def wstr(w):
    return "none" if w is None else ",".join("%.9g" % float(v) for v in np.asarray(w, dtype=np.float32))


def main():
    os.makedirs(FIX, exist_ok=True)
    header = "# written by tests/scripts/cluster_reference.py with scikit-learn %s, numpy %s\n" % (
        sklearn.__version__, np.__version__)

    # ---- k-means: 500 x 6, 5 centres
    Xb, _ = make_blobs(n_samples=500, n_features=6, centers=5, cluster_std=1.2, random_state=7)
    Xb = Xb.astype(np.float32)
    fb = write_data("blobs", Xb)
    # a continuous (non-blob) set: 3 anisotropic Gaussians, where k = 8 has no obvious answer
    rng = np.random.RandomState(2024)
    comp = rng.randint(0, 3, size=400)
    means = rng.uniform(-3, 3, size=(3, 4))
    mats = rng.standard_normal((3, 4, 4)) * 0.8
    Xc = (means[comp] + np.einsum("nij,nj->ni", mats[comp], rng.standard_normal((400, 4)))).astype(np.float32)
    fc = write_data("aniso", Xc)
    wk = np.array([1.0, 0.5, 2.0, 0.0, 1.0, 0.25], dtype=np.float32)
    lines = [header, "# data weights k n_init max_iter tol inertia\n"]
    for fname, X, w, k, n_init in ((fb, Xb, None, 5, 10), (fb, Xb, None, 8, 10), (fb, Xb, wk, 5, 10),
                                   (fc, Xc, None, 8, 10), (fc, Xc, None, 3, 4)):
        km = KMeans(n_clusters=k, n_init=n_init, max_iter=300, tol=1e-4, algorithm="lloyd", random_state=0)
        km.fit(weighted(X, w))
        lines.append("%s %s %d %d %d %.17g %.17g\n" % (fname, wstr(w), k, n_init, 300, 1e-4, km.inertia_))
    with open(os.path.join(FIX, "cluster_kmeans_ref.txt"), "w") as f:
        f.writelines(lines)

    # ---- DBSCAN: 4 blobs in 3-D plus uniform noise, shuffled
    Xd, _ = make_blobs(n_samples=400, n_features=3, centers=4, cluster_std=0.6, random_state=3)
    rng = np.random.RandomState(5)
    lo, hi = Xd.min(axis=0), Xd.max(axis=0)
    Xd = np.vstack([Xd, rng.uniform(lo, hi, size=(40, 3))])
    Xd = Xd[rng.permutation(len(Xd))].astype(np.float32)
    fd = write_data("dbscan", Xd)
    wd = np.array([1.0, 2.0, 0.0], dtype=np.float32)
    lines = [header, "# data weights eps min_samples n_clusters n n_core n_border n_noise / labels\n"]
    for w, eps, ms in ((None, 0.8, 5), (None, 0.5, 8), (wd, 1.0, 4), (None, 0.3, 1)):
        db = DBSCAN(eps=eps, min_samples=ms).fit(weighted(Xd, w).astype(np.float64))
        lab = db.labels_
        core = np.zeros(len(lab), bool)
        core[db.core_sample_indices_] = True
        n_border = int(np.sum(~core & (lab >= 0)))
        nc = int(lab.max() + 1)
        lines.append("%s %s %.17g %d %d %d %d %d %d\n" % (fd, wstr(w), eps, ms, nc, len(lab), core.sum(), n_border,
                                                          np.sum(lab < 0)))
        lines.append(" ".join(str(int(v)) for v in lab) + "\n")
    with open(os.path.join(FIX, "cluster_dbscan_ref.txt"), "w") as f:
        f.writelines(lines)

    # ---- affinity propagation: 200 x 4, 4 centres
    Xa, _ = make_blobs(n_samples=200, n_features=4, centers=4, cluster_std=1.0, random_state=11)
    Xa = Xa.astype(np.float32)
    fa = write_data("ap", Xa)
    wa = np.array([1.0, 0.0, 3.0, 0.5], dtype=np.float32)
    # degenerate: 6 identical points (all similarities equal): sklearn returns without iterating
    Xe = np.tile(np.array([[0.5, -1.25, 2.0]], dtype=np.float32), (6, 1))
    fe = write_data("ap_equal", Xe)
    lines = [header, "# data weights damping max_iter convergence_iter preference converged n_clusters n "
                     "noise_diff / exemplars / labels\n"]
    for fname, X, w, damping, max_iter, p in ((fa, Xa, None, 0.5, 200, None), (fa, Xa, None, 0.9, 200, None),
                                              (fa, Xa, wa, 0.7, 200, None), (fa, Xa, None, 0.5, 10, None),
                                              (fa, Xa, None, 0.5, 25, None),
                                              (fa, Xa, None, 0.5, 200, -60.0), (fe, Xe, None, 0.5, 200, None),
                                              (fe, Xe, None, 0.5, 200, -1.0)):
        Z = weighted(X, w).astype(np.float64)
        # S exactly as cs_cluster.c builds it (direct differences in double)
        S = -((Z[:, None, :] - Z[None, :, :]) ** 2).sum(axis=-1)
        pref = np.median(S) if p is None else p
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            centers, labels, n_iter = affinity_propagation(S, preference=pref, damping=damping, max_iter=max_iter,
                                                           convergence_iter=15, random_state=0, return_n_iter=True)
        converged = int(not any(issubclass(c.category, ConvergenceWarning) for c in caught))
        noise_diff = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for rs in range(1, 8):
                other, _ = affinity_propagation(S, preference=pref, damping=damping, max_iter=max_iter,
                                                convergence_iter=15, random_state=rs)
                noise_diff = max(noise_diff, len(set(other.tolist()) ^ set(centers.tolist())))
        # the estimator (euclidean_distances, numpy's own noise) must agree on this data
        ap = AffinityPropagation(damping=damping, max_iter=max_iter, convergence_iter=15, random_state=0,
                                 preference=p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ap.fit(Z)
        assert np.array_equal(ap.cluster_centers_indices_, centers), "estimator and function disagree"
        assert np.array_equal(ap.labels_, labels)
        lines.append("%s %s %.17g %d %d %s %d %d %d %d\n" % (fname, wstr(w), damping, max_iter, 15,
                                                             "nan" if p is None else "%.17g" % p, converged,
                                                             len(centers), len(labels), noise_diff))
        lines.append(" ".join(str(int(v)) for v in centers) + "\n")
        lines.append(" ".join(str(int(v)) for v in labels) + "\n")
        print("AP %s damping %.2f max_iter %d: %d exemplars, n_iter %d, converged %d, noise_diff %d"
              % (fname, damping, max_iter, len(centers), n_iter, converged, noise_diff))
    with open(os.path.join(FIX, "cluster_ap_ref.txt"), "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
