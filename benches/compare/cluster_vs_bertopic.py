#!/usr/bin/env python3
"""vocmine's clustering against BERTopic's (UMAP + HDBSCAN) on the same embeddings.

Data: ../shared/corpora/banking77/train.csv (10,003 English banking queries,
77 intents), embedded once with vocmine's encoder (multilingual-e5-small,
whole texts, through `examples/cluster_eval embed`); a 3,000-text sample
(seed 0) and all texts. Both sides read the same .npy.

* BERTopic defaults: UMAP(n_neighbors=15, n_components=5, min_dist=0.0,
  metric="cosine") then HDBSCAN(min_cluster_size=10, metric="euclidean",
  cluster_selection_method="eom"); timed from the array to the labels in
  this process (numba compiles on the first call: the first run is reported
  as is, a second "warm" run too). UMAP's own random_state is left unset
  as in BERTopic (parallel, non-deterministic).
* vocmine: `examples/cluster_eval eval` (exact kNN below 20,000 vectors,
  UMAP-style weights, Leiden, small communities attached, far clauses as
  outliers), seconds = ClusterModel::fit only (the .npy load excluded, as
  on the Python side).

Scores: NMI (arithmetic normalization) and ARI against the intents, with
outliers as one group (scikit-learn on HDBSCAN's -1), plus the same on the
clustered items only.

The scale run replicates the 10,003 embeddings to 100,000 vectors, each copy
perturbed with uniform noise (±0.025 per coordinate, then re-normalized:
cosine ≈ 0.96 to its source, about a real nearest-neighbour distance), and
clusters them with vocmine on 2 threads (HNSW kNN above 20,000), reporting
seconds and peak RSS.

    python3 -m venv /tmp/venv-bt && /tmp/venv-bt/bin/pip install umap-learn hdbscan
    cargo build --release --example cluster_eval
    /tmp/venv-bt/bin/python benches/compare/cluster_vs_bertopic.py [--skip-python] [--skip-scale] [--work /tmp/b77]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("VOCMINE_SHARED", os.path.join(ROOT, "..", "shared"))
EXAMPLE = os.path.join(ROOT, "target", "release", "examples", "cluster_eval")


def sh(args, **kw):
    out = subprocess.run(args, check=True, capture_output=True, text=True, **kw)
    return out.stdout


def prepare(work):
    os.makedirs(work, exist_ok=True)
    full = os.path.join(work, "all.npy")
    labels = os.path.join(work, "all.labels")
    if not os.path.exists(full):
        train = os.path.join(SHARED, "corpora", "banking77", "train.csv")
        print(f"embedding {train} …", file=sys.stderr)
        sh([EXAMPLE, "embed", train, full, labels])
    x = np.load(full)
    lab = open(labels, encoding="utf-8").read().splitlines()
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(len(lab), 3000, replace=False))
    s_npy = os.path.join(work, "s3k.npy")
    s_lab = os.path.join(work, "s3k.labels")
    np.save(s_npy, x[idx].astype(np.float32))
    with open(s_lab, "w", encoding="utf-8") as f:
        f.write("\n".join(lab[i] for i in idx) + "\n")
    return [("3k", s_npy, s_lab), ("10k", full, labels)]


def peak_rss_mb():
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except Exception:
        return float("nan")


def bertopic(npy, labels):
    import hdbscan
    import umap
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    x = np.load(npy)
    y = open(labels, encoding="utf-8").read().splitlines()
    rows = []
    for run in ("cold", "warm"):
        t = time.perf_counter()
        red = umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine").fit_transform(x)
        hdbscan_model = hdbscan.HDBSCAN(
            min_cluster_size=10, metric="euclidean", cluster_selection_method="eom", prediction_data=True
        )
        pred = hdbscan_model.fit_predict(red)
        secs = time.perf_counter() - t
        cl = hdbscan_model
        mask = pred >= 0
        # BERTopic-style outlier reduction: each outlier to the cluster of
        # highest soft membership.
        soft = hdbscan.all_points_membership_vectors(cl)
        re = pred.copy()
        if soft.ndim == 2 and soft.shape[1] > 0:
            re[~mask] = soft[~mask].argmax(axis=1)
        rows.append(
            {
                "run": run,
                "n": len(y),
                "clusters": int(pred.max() + 1),
                "outlier_share": float(1 - mask.mean()),
                "nmi": normalized_mutual_info_score(y, pred),
                "ari": adjusted_rand_score(y, pred),
                "nmi_clustered": normalized_mutual_info_score(np.array(y)[mask], pred[mask]),
                "ari_clustered": adjusted_rand_score(np.array(y)[mask], pred[mask]),
                "nmi_reassigned": normalized_mutual_info_score(y, re),
                "ari_reassigned": adjusted_rand_score(y, re),
                "seconds": secs,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    return rows


def vocmine(npy, labels, *extra):
    out = sh([EXAMPLE, "eval", npy, labels, *extra])
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def scale(work, n=100_000, noise=0.05, seed=1):
    x = np.load(os.path.join(work, "all.npy"))
    path = os.path.join(work, f"scale{n // 1000}k.npy")
    if not os.path.exists(path):
        rng = np.random.default_rng(seed)
        src = np.arange(n) % len(x)
        y = x[src] + noise * (rng.random((n, x.shape[1]), dtype=np.float32) - 0.5)
        y[: len(x)] = x
        y /= np.linalg.norm(y, axis=1, keepdims=True)
        np.save(path, y.astype(np.float32))
    return path


def fmt(r):
    g = lambda k: r.get(k, float("nan"))
    return (
        f"{r['n']:>7} {r['clusters']:>8} {100 * r['outlier_share']:>8.2f}% "
        f"{g('nmi'):>6.3f} {g('ari'):>6.3f} {g('nmi_clustered'):>6.3f} {g('ari_clustered'):>6.3f} "
        f"{g('nmi_reassigned'):>6.3f} {g('ari_reassigned'):>6.3f} "
        f"{r['seconds']:>8.2f} {r.get('peak_rss_mb') or float('nan'):>8.0f}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/b77")
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--threads", default="2")
    a = ap.parse_args()
    if not os.path.exists(EXAMPLE):
        sys.exit("build first: cargo build --release --example cluster_eval")
    sets = prepare(a.work)
    head = (
        f"{'method':<34} {'n':>7} {'clusters':>8} {'outliers':>9} {'NMI':>6} {'ARI':>6} "
        f"{'NMI*':>6} {'ARI*':>6} {'NMI_r':>6} {'ARI_r':>6} {'seconds':>8} {'RSS MB':>8}"
    )
    lines = [head, "-" * len(head)]
    results = {}
    for name, npy, lab in sets:
        v = vocmine(npy, lab, "--threads", a.threads)[0]
        results[f"vocmine {name}"] = v
        lines.append(f"{'vocmine Leiden (' + name + ')':<34} " + fmt(v))
        if not a.skip_python:
            for r in bertopic(npy, lab):
                results[f"bertopic {name} {r['run']}"] = r
                lines.append(f"{'UMAP+HDBSCAN ' + r['run'] + ' (' + name + ')':<34} " + fmt(r))
    if not a.skip_scale:
        path = scale(a.work)
        v = vocmine(path, "-", "--threads", a.threads)[0]
        results["vocmine 100k"] = v
        v.setdefault("nmi", float("nan"))
        lines.append(f"{'vocmine Leiden (100k synthetic)':<34} " + fmt(v))
        lines.append(
            "  100k stages (s): " + ", ".join(f"{k} {v['stages'][k]:.2f}" for k in ("index", "knn", "graph", "leiden", "attach", "total"))
        )
    print("\n".join(lines))
    print(
        "NMI/ARI: all items, outliers as one group; NMI*/ARI*: clustered items only; "
        "NMI_r/ARI_r: HDBSCAN outliers reassigned to their highest soft membership.\n"
        "vocmine seconds: ClusterModel::fit (2 threads); Python: UMAP + HDBSCAN (numba, all cores). "
        f"RSS: peak of the process. Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
    )
    with open(os.path.join(a.work, "cluster_vs_bertopic.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
