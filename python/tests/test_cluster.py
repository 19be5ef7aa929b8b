"""Hot-issue clustering from Python: Engine.cluster and cluster_embeddings."""

from __future__ import annotations

import subprocess

import pytest

import vocmine

np = pytest.importorskip("numpy")


def _blobs(per: int = 20, noise: float = 0.02, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.repeat(np.eye(3, 16, dtype=np.float32), per, axis=0)
    x += noise * rng.standard_normal(x.shape).astype(np.float32)
    truth = np.repeat(np.arange(3), per)
    return x, truth


def test_cluster_embeddings_recovers_groups_and_is_deterministic():
    x, truth = _blobs()
    r = vocmine.cluster_embeddings(x, k=5, min_size=5, resolution=1.0)
    labels = r["labels"]
    assert len(labels) == len(x)
    # Each true group is one cluster, and the clusters differ.
    groups = {t: {labels[i] for i in range(len(x)) if truth[i] == t} for t in range(3)}
    assert all(len(g) == 1 and None not in g for g in groups.values())
    assert len({next(iter(g)) for g in groups.values()}) == 3
    assert r["stats"]["items"] == 60 and r["stats"]["outliers"] == 0
    assert vocmine.cluster_embeddings(x, k=5, min_size=5, resolution=1.0)["labels"] == labels


def test_cluster_embeddings_bad_input_raises_config_error():
    x, _ = _blobs()
    with pytest.raises(vocmine.ConfigError):
        vocmine.cluster_embeddings(x[0])  # 1-D
    with pytest.raises(vocmine.ConfigError, match="k"):
        vocmine.cluster_embeddings(x, k=1)
    with pytest.raises(vocmine.ConfigError):
        vocmine.cluster_embeddings(x, no_such_setting=3)
    with pytest.raises(vocmine.DataError, match="3 languages"):
        vocmine.cluster_embeddings(x, languages=["en"] * 3)


def test_engine_cluster_matches_the_cli(model_dir, cli, sample_records, tmp_path):
    engine = vocmine.Engine(models=model_dir, pos=True)
    r = engine.cluster(sample_records)
    s = r["summary"]
    # one assignment per customer clause; short one-issue records are one
    # item (level="auto"), so there are fewer items than clauses
    assert len(r["assignments"]) > s["items"] > 1000
    by_clause = engine.cluster(sample_records, level="clause")
    assert by_clause["summary"]["items"] == len(by_clause["assignments"]) == len(r["assignments"])
    with pytest.raises(vocmine.ConfigError, match="level"):
        engine.cluster(sample_records[:3], level="sentence")
    assert s["outlier_share"] < 0.1
    assert s["hottest"] and all(c["label"] for c in r["clusters"])
    # Same clusters as `vocmine cluster` on the same records.
    out = tmp_path / "clusters.json"
    subprocess.run(
        [str(cli), "cluster", "corpora/sample.jsonl", "-o", str(out), "-q"],
        check=True,
    )
    import json

    cli_report = json.loads(out.read_text(encoding="utf-8"))
    assert [a["cluster"] for a in r["assignments"]] == [
        a["cluster"] for a in cli_report["assignments"]
    ]


def test_engine_cluster_needs_a_model():
    engine = vocmine.Engine(no_model=True)
    with pytest.raises(vocmine.ConfigError, match="model"):
        engine.cluster(["车机又死机了"])


def _nuisance_blobs(per: int, seed: int = 0):
    """Four topics (axes 0-3, weight 0.3) and, across all of them, a broad
    nuisance contrast along axis 4 (uniform in [-1, 1]) that varies more
    than the topics do."""
    rng = np.random.default_rng(seed)
    x = np.zeros((4 * per, 16), dtype=np.float32)
    truth = np.repeat(np.arange(4), per)
    x[np.arange(4 * per), truth] = 0.3
    x[:, 4] = rng.uniform(-1.0, 1.0, 4 * per)
    x[:, 5:] += 0.03 * rng.standard_normal((4 * per, 11)).astype(np.float32)
    return x, truth


def test_remove_principal_drops_the_broad_contrast_in_one_language():
    def clusters_per_topic(labels, truth):
        return [len({labels[i] for i in range(len(truth)) if truth[i] == t}) for t in range(4)]

    x, truth = _nuisance_blobs(150)
    en = ["en"] * len(x)
    kept = vocmine.cluster_embeddings(x, languages=en, resolution=0.5, min_size=5, remove_principal=0)
    removed = vocmine.cluster_embeddings(x, languages=en, resolution=0.5, min_size=5)  # default 1
    # Without the removal the nuisance splits the topics; with it each topic is one cluster.
    assert max(clusters_per_topic(kept["labels"], truth)) > 1
    assert clusters_per_topic(removed["labels"], truth) == [1, 1, 1, 1]
    assert len(set(removed["labels"])) == 4 and None not in removed["labels"]
    # The gates: under 500 items, or two languages with means of their own, nothing is removed.
    small, _ = _nuisance_blobs(100)

    def same(data, langs):
        runs = [
            vocmine.cluster_embeddings(data, languages=langs, resolution=0.5, min_size=5, remove_principal=n)
            for n in (0, 1)
        ]
        return runs[0]["labels"] == runs[1]["labels"]

    assert same(small, ["en"] * len(small))
    assert same(x, ["en" if i % 2 else "zh" for i in range(len(x))])
    with pytest.raises(vocmine.ConfigError, match="remove_principal"):
        vocmine.cluster_embeddings(x, languages=en, remove_principal=17)
