#!/usr/bin/env python3
"""Write the tiny BERT-shaped test model into tests/data/tiny-bert/.

    python3 models/make_tiny.py      # needs .venv-models (python3 models/setup.py --venv-only)

Files (deterministic; a few KB, committed for the Rust tests of loading,
batching and pooling):
  model.onnx      random fixed-seed weights: vocab of tokenizer.json, hidden 16,
                  2 layers, 2 heads, intermediate 32, 64 positions, opset 17;
                  the same graph builder (python/vocmine/_model/bert_onnx.py) as the real
                  encoder: int64 input_ids / attention_mask [batch, seq] ->
                  sentence_embedding [batch, 16], masked mean pooling + L2 norm
                  inside the graph
  tokenizer.json  hand-written Unigram vocabulary (zh / ru / en pieces), the
                  same pipeline as XLM-R: Metaspace pre-tokenizer, <s> $A </s>
                  template, ids 0..3 = <s> <pad> </s> <unk>
  config.json     model-directory config, same keys as the real one
  expected.json   reference outputs of onnxruntime for a few texts, one by one
                  and as one padded batch, with their token ids
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "data", "tiny-bert")
VENV = os.path.join(ROOT, ".venv-models")
VENV_PY = os.path.join(VENV, "bin", "python")

try:
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
except ImportError:
    if os.path.isfile(VENV_PY) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    sys.exit("ERROR: numpy/onnxruntime/tokenizers missing; run `python3 models/setup.py --venv-only` "
             "first (creates .venv-models/)")

sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python", "vocmine", "_model"))
import bert_onnx  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

HIDDEN, LAYERS, HEADS, FF, MAXPOS = 16, 2, 2, 32, 64
SEED = 20240601
PREFIX = "query: "


def say(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


def make_tokenizer():
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    words = ["▁query", ":", "▁", ",", ".", "!", "?",
             # en
             "▁the", "▁delivery", "▁was", "▁is", "▁very", "▁slow", "▁fast", "▁good", "▁bad",
             "▁support", "▁order", "▁late", "▁price", "▁app", "▁not", "▁i", "▁my", "▁and",
             # zh
             "快递", "太", "慢", "了", "客服", "很", "好", "差", "价格", "贵", "的",
             # ru
             "▁доставка", "▁очень", "▁медленная", "▁поддержка", "▁хорошая", "▁плохо",
             "▁цена", "▁не", "▁и", "▁заказ"]
    latin = list("abcdefghijklmnopqrstuvwxyz")
    cyr = list("аеиоуынтсрвлкмдпяь")
    vocab = [(t, 0.0) for t in specials]
    vocab += [(t, -3.0 - 0.01 * i) for i, t in enumerate(words)]
    vocab += [(c, -8.0) for c in latin + cyr] + [("▁" + c, -8.5) for c in latin[:8]]
    vocab.append(("<mask>", 0.0))
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.add_special_tokens(specials + ["<mask>"])
    return tok


def make_weights(vocab):
    rng = np.random.default_rng(SEED)

    def r(*shape, s=0.3):
        return (rng.standard_normal(shape) * s).astype(np.float32)

    def ln():
        return (1.0 + r(HIDDEN, s=0.1)), r(HIDDEN, s=0.1)

    w = dict(word=r(vocab, HIDDEN, s=1.0), pos=r(MAXPOS, HIDDEN, s=0.5), type_row=r(HIDDEN, s=0.1),
             layers=[])
    w["eln_w"], w["eln_b"] = ln()
    for _ in range(LAYERS):
        L = dict(q_w=r(HIDDEN, HIDDEN), q_b=r(HIDDEN, s=0.1), k_w=r(HIDDEN, HIDDEN), k_b=r(HIDDEN, s=0.1),
                 v_w=r(HIDDEN, HIDDEN), v_b=r(HIDDEN, s=0.1), ao_w=r(HIDDEN, HIDDEN), ao_b=r(HIDDEN, s=0.1),
                 fi_w=r(FF, HIDDEN), fi_b=r(FF, s=0.1), fo_w=r(HIDDEN, FF), fo_b=r(HIDDEN, s=0.1))
        L["aln_w"], L["aln_b"] = ln()
        L["oln_w"], L["oln_b"] = ln()
        w["layers"].append(L)
    return w


def encode(tok, texts):
    enc = tok.encode_batch([PREFIX + t for t in texts])
    ids, mask = bert_onnx.pad_batch(enc)
    return enc, ids, mask


def main():
    os.makedirs(OUT, exist_ok=True)
    say("tokenizer.json (Unigram, hand-written vocabulary)")
    tok = make_tokenizer()
    tok.save(os.path.join(OUT, "tokenizer.json"), pretty=False)
    tok = Tokenizer.from_file(os.path.join(OUT, "tokenizer.json"))  # test what was written
    V = tok.get_vocab_size(with_added_tokens=True)

    say("model.onnx (vocab %d, hidden %d, %d layers, %d heads, opset %d, seed %d)"
        % (V, HIDDEN, LAYERS, HEADS, bert_onnx.OPSET, SEED))
    model = bert_onnx.build_encoder(make_weights(V), dict(hidden=HIDDEN, heads=HEADS, eps=1e-12),
                                    name="tiny-bert",
                                    doc="vocmine test fixture: random weights, no meaning")
    with open(os.path.join(OUT, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())

    say("config.json")
    config = {
        "kind": "encoder",
        "name": "tiny-bert",
        "pooling": "mean",
        "normalize": True,
        "prefix": PREFIX,
        "max_length": MAXPOS,
        "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask"},
        "outputs": {"embedding": "sentence_embedding"},
        "dimension": HIDDEN,
        "source": "random weights (seed %d) written by models/make_tiny.py; a test fixture "
                  "with the interface of models/multilingual-e5-small, no meaning" % SEED,
        "license": "MIT OR Apache-2.0 (vocmine test data)",
    }
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")

    say("running it with onnxruntime %s" % ort.__version__)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(OUT, "model.onnx"), so, providers=["CPUExecutionProvider"])
    texts = ["The delivery was very slow!", "快递太慢了，客服很好。", "Доставка очень медленная", "ok"]
    enc, ids, mask = encode(tok, texts)
    batch = sess.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]
    single = np.concatenate([sess.run(["sentence_embedding"], dict(zip(
        ("input_ids", "attention_mask"), encode(tok, [t])[1:])))[0] for t in texts])
    norms = np.linalg.norm(batch, axis=1)
    cos = (batch * single).sum(1)
    for t, e, row in zip(texts, enc, batch):
        print("%-32s tokens=%s" % (t, e.tokens))
        print("    ids=%s  embedding[:6]=%s" % (e.ids, [round(float(x), 4) for x in row[:6]]))
    print("norms=%s  batch-vs-single cos=%s" % ([round(float(x), 6) for x in norms], [round(float(x), 6) for x in cos]))
    if abs(norms - 1).max() > 1e-5 or cos.min() < 0.99999:
        sys.exit("ERROR: embeddings are not L2-normalized or depend on padding")

    expected = {
        "note": "onnxruntime %s outputs of model.onnx; texts get the config prefix; "
                "padding id 1, attention_mask 0 on padding" % ort.__version__,
        "texts": texts,
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "embeddings": [[round(float(x), 6) for x in row] for row in batch],
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")

    total = 0
    for n in sorted(os.listdir(OUT)):
        sz = os.path.getsize(os.path.join(OUT, n))
        total += sz
        print("  %-16s %7d bytes" % (n, sz))
    print("  total            %7d bytes" % total)
    if total > 100_000:
        sys.exit("ERROR: tests/data/tiny-bert is larger than 100 KB")

    write_states_variant(model, config)


def write_states_variant(model, config):
    """tests/data/tiny-bert-states: the same weights shaped like a plain
    transformers/optimum export — token states `last_hidden_state`
    [batch, seq, hidden] instead of the pooled embedding, and a
    `token_type_ids` input — so that Rust tests show that such an export loads
    through config.json alone (vocmine pools and normalizes)."""
    import shutil
    out = os.path.join(os.path.dirname(OUT), "tiny-bert-states")
    os.makedirs(out, exist_ok=True)
    say("tiny-bert-states: token-state output + token_type_ids input -> %s" % out)
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    # The last hidden states: the first input of the Mul feeding the pooling sum.
    pool_sum = next(n for n in g.node if n.op_type == "ReduceSum" and n.output[0].startswith("pool_sum_"))
    mul = next(n for n in g.node if n.op_type == "Mul" and pool_sum.input[0] in n.output)
    states = mul.input[0]
    del g.output[:]
    g.output.extend([helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                                   ["batch", "seq", HIDDEN])])
    g.node.append(helper.make_node("Identity", [states], ["last_hidden_state"], name="states_out"))
    g.input.extend([helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "seq"])])
    onnx.checker.check_model(m)
    with open(os.path.join(out, "model.onnx"), "wb") as f:
        f.write(m.SerializeToString())
    shutil.copyfile(os.path.join(OUT, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    c = dict(config)
    c["name"] = "tiny-bert-states"
    c["inputs"] = {"input_ids": "input_ids", "attention_mask": "attention_mask", "token_type_ids": "token_type_ids"}
    c["outputs"] = {"token_embeddings": "last_hidden_state"}
    c["source"] = "models/make_tiny.py: tiny-bert's graph with token states as output (an optimum-style export)"
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
