"""The texts of corpora/sample.jsonl that the encoder benchmarks read: each
record's text and the texts of its turns, in file order."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sample_texts(n, cut=200):
    """The first `n` texts and turns of the sample corpus, each cut at `cut`
    characters."""
    texts = []
    with open(os.path.join(ROOT, "corpora", "sample.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts += [r["text"]] if r.get("text") else []
            texts += [t["text"] for t in r.get("turns") or [] if t.get("text")]
    return [t[:cut] for t in texts[:n]]
