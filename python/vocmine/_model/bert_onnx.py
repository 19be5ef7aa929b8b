"""Build a BERT-shaped sentence-encoder ONNX graph from numpy weights.

Shared by models/setup.py (the real multilingual-e5-small) and
models/make_tiny.py (the tiny test model), so both graphs have the same
interface:

  inputs   input_ids       int64 [batch, seq]
           attention_mask  int64 [batch, seq]   (1 = token, 0 = padding)
  output   sentence_embedding  float32 [batch, hidden]
           = masked mean pooling of the last hidden states, L2-normalized.

`gate_output` makes the embedding optional to compute (a bool input
`embedding_wanted`, default True), for graphs whose heads do not read it.

Post-LN BERT encoder: embeddings (word + position 0..seq-1 + token type 0)
-> LayerNorm -> N x [self-attention -> add & LayerNorm -> GELU FFN -> add &
LayerNorm]. Only numpy and the onnx package are needed (no torch).

Weights are given in PyTorch layout (Linear weight [out, in]); see
`build_encoder` for the dict keys.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class _G:
    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, base):
        self._n += 1
        return "%s_%d" % (base, self._n)

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def const(self, base, arr):
        return self.init(self.name(base), np.asarray(arr))

    def op(self, op_type, inputs, base=None, **attrs):
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out + "_node", **attrs))
        return out


def build_encoder(w, cfg, name="bert-encoder", doc="", branch=None):
    """w: dict with
         word [V,H], pos [P,H], type_row [H] (token type 0 row),
         eln_w, eln_b [H],
         layers: list of dicts q_w,k_w,v_w,ao_w [H,H]; fi_w [FF,H]; fo_w [H,FF];
                 q_b,k_b,v_b,ao_b,fo_b,aln_w,aln_b,oln_w,oln_b [H]; fi_b [FF]
       cfg: dict hidden, heads, eps
       branch: None, or dict start (a layer index) and layers (weight dicts
         as in w["layers"], one per layer start..N-1): a second copy of the
         top layers that reads the shared hidden states before layer
         `start`; its masked mean (not normalized) is the tensor
         `head_pooled`, which heads appended with append_head can read.
         sentence_embedding does not depend on it.
    Returns an onnx.ModelProto (opset 17)."""
    H, NH, eps = int(cfg["hidden"]), int(cfg["heads"]), float(cfg["eps"])
    hd = H // NH
    f32 = np.float32
    g = _G()

    # ---- embeddings --------------------------------------------------------
    word = g.init("embeddings.word_embeddings.weight", w["word"].astype(f32))
    pos = g.init("embeddings.position_embeddings.weight", w["pos"].astype(f32))
    typ = g.init("embeddings.token_type_embeddings.row0", w["type_row"].astype(f32))
    x = g.op("Gather", [word, "input_ids"], "word_emb", axis=0)            # [B,S,H]
    # positions 0..seq-1 (BERT style): the first `seq` rows of the table
    seq = g.op("Shape", ["input_ids"], "seq_len", start=1, end=2)          # [1]
    p = g.op("Slice", [pos, g.const("zero_1d", np.array([0], np.int64)), seq,
                       g.const("axis0_1d", np.array([0], np.int64))], "pos_emb")  # [S,H]
    x = g.op("Add", [x, p], "emb_wp")
    x = g.op("Add", [x, typ], "emb_wpt")
    x = g.op("LayerNormalization", [x, g.init("embeddings.LayerNorm.weight", w["eln_w"].astype(f32)),
                                    g.init("embeddings.LayerNorm.bias", w["eln_b"].astype(f32))],
             "emb_ln", axis=-1, epsilon=eps)

    # ---- attention mask ----------------------------------------------------
    mask_f = g.op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)   # [B,S]
    inv = g.op("Sub", [g.const("f_one", np.array(1.0, f32)), mask_f], "mask_inv")
    bias = g.op("Mul", [inv, g.const("neg_big", np.array(-10000.0, f32))], "mask_bias")
    bias = g.op("Unsqueeze", [bias, g.const("axes_1_2", np.array([1, 2], np.int64))], "mask_bias4")  # [B,1,1,S]

    split_shape = g.const("split_heads_shape", np.array([0, 0, NH, hd], np.int64))
    merge_shape = g.const("merge_heads_shape", np.array([0, 0, H], np.int64))
    scale = g.const("attn_scale", np.array(1.0 / np.sqrt(hd), f32))
    sqrt2 = g.const("sqrt2", np.array(np.sqrt(2.0), f32))
    half = g.const("half", np.array(0.5, f32))
    one = g.const("f_one", np.array(1.0, f32))

    def linear(inp, wt, b, pfx):
        # PyTorch Linear: y = x W^T + b; ONNX MatMul wants W^T as [in, out]
        wn = g.init(pfx + ".weight_t", np.ascontiguousarray(wt.T.astype(f32)))
        bn = g.init(pfx + ".bias", b.astype(f32))
        return g.op("Add", [g.op("MatMul", [inp, wn], "mm"), bn], "lin")

    def layer(x, L, pf):
        q = linear(x, L["q_w"], L["q_b"], pf + "attention.self.query")
        k = linear(x, L["k_w"], L["k_b"], pf + "attention.self.key")
        v = linear(x, L["v_w"], L["v_b"], pf + "attention.self.value")
        q = g.op("Transpose", [g.op("Reshape", [q, split_shape])], perm=[0, 2, 1, 3])  # [B,NH,S,hd]
        k = g.op("Transpose", [g.op("Reshape", [k, split_shape])], perm=[0, 2, 3, 1])  # [B,NH,hd,S]
        v = g.op("Transpose", [g.op("Reshape", [v, split_shape])], perm=[0, 2, 1, 3])  # [B,NH,S,hd]
        s = g.op("Mul", [g.op("MatMul", [q, k], "scores"), scale])
        s = g.op("Add", [s, bias])
        pr = g.op("Softmax", [s], "probs", axis=-1)
        c = g.op("MatMul", [pr, v], "ctx")
        c = g.op("Reshape", [g.op("Transpose", [c], perm=[0, 2, 1, 3]), merge_shape])
        a = linear(c, L["ao_w"], L["ao_b"], pf + "attention.output.dense")
        x = g.op("LayerNormalization", [g.op("Add", [x, a]),
                                        g.init(pf + "attention.output.LayerNorm.weight", L["aln_w"].astype(f32)),
                                        g.init(pf + "attention.output.LayerNorm.bias", L["aln_b"].astype(f32))],
                 "attn_ln", axis=-1, epsilon=eps)
        h = linear(x, L["fi_w"], L["fi_b"], pf + "intermediate.dense")
        # exact (erf) GELU: 0.5 x (1 + erf(x / sqrt 2)); ORT fuses it into Gelu
        h = g.op("Mul", [g.op("Mul", [h, half]),
                         g.op("Add", [g.op("Erf", [g.op("Div", [h, sqrt2])]), one])], "gelu")
        o = linear(h, L["fo_w"], L["fo_b"], pf + "output.dense")
        return g.op("LayerNormalization", [g.op("Add", [x, o]),
                                           g.init(pf + "output.LayerNorm.weight", L["oln_w"].astype(f32)),
                                           g.init(pf + "output.LayerNorm.bias", L["oln_b"].astype(f32))],
                    "out_ln", axis=-1, epsilon=eps)

    start = branch["start"] if branch else None
    shared = None
    for i, L in enumerate(w["layers"]):
        if i == start:
            shared = x
        x = layer(x, L, "encoder.layer.%d." % i)

    m3 = g.op("Unsqueeze", [mask_f, g.const("axes_m1", np.array([-1], np.int64))], "mask3")  # [B,S,1]
    ax1 = g.const("axes_1", np.array([1], np.int64))
    count = g.op("ReduceSum", [m3, ax1], "pool_count", keepdims=0)                       # [B,1]
    count = g.op("Max", [count, g.const("min_count", np.array(1e-9, f32))])

    if branch:
        # the tuned branch: layers start.. again from the shared hidden states,
        # with their own (tuned) weights; its masked mean is `head_pooled`
        y = shared
        for j, L in enumerate(branch["layers"]):
            y = layer(y, L, "tuned.encoder.layer.%d." % (start + j))
        ysum = g.op("ReduceSum", [g.op("Mul", [y, m3]), ax1], "tuned_pool_sum", keepdims=0)
        g.nodes.append(helper.make_node("Div", [ysum, count], ["head_pooled"], name="tuned_pool_mean"))

    # ---- masked mean pooling + L2 normalization ----------------------------
    summed = g.op("ReduceSum", [g.op("Mul", [x, m3]), ax1], "pool_sum", keepdims=0)      # [B,H]
    mean = g.op("Div", [summed, count], "pool_mean")
    axm1 = g.const("axes_last", np.array([-1], np.int64))
    sq = g.op("ReduceSum", [g.op("Mul", [mean, mean]), axm1], "sq_norm", keepdims=1)      # [B,1]
    nrm = g.op("Max", [g.op("Sqrt", [sq]), g.const("min_norm", np.array(1e-12, f32))])
    g.nodes.append(helper.make_node("Div", [mean, nrm], ["sentence_embedding"], name="l2_normalize"))

    graph = helper.make_graph(
        g.nodes, name.replace("-", "_"),
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="vocmine-models", doc_string=doc)
    model.ir_version = 8  # readable by every onnxruntime >= 1.13
    onnx.checker.check_model(model, full_check=False)
    return model


def append_head(model, layers, input_name="sentence_embedding", output_name="sentiment_logits",
                prefix="sentiment_head"):
    """Add a small float32 classification head to an encoder graph, in place.

    layers: list of (W [in, out], b [out]) numpy arrays; the head computes
    h = x; for each layer h = h @ W + b, with Relu between layers (not after
    the last). x is the graph's `input_name` output (the L2-normalized
    sentence embedding) and the result becomes a new graph output
    `output_name` float32 [batch, out]. Returns the model."""
    g = model.graph
    h = input_name
    for k, (W, b) in enumerate(layers):
        wn, bn = "%s.%d.weight" % (prefix, k), "%s.%d.bias" % (prefix, k)
        g.initializer.extend([
            numpy_helper.from_array(np.ascontiguousarray(W, dtype=np.float32), wn),
            numpy_helper.from_array(np.ascontiguousarray(b, dtype=np.float32), bn)])
        mm, ad = "%s.%d.matmul" % (prefix, k), "%s.%d.add" % (prefix, k)
        last = k == len(layers) - 1
        out = output_name if last else "%s.%d.out" % (prefix, k)
        g.node.extend([helper.make_node("MatMul", [h, wn], [mm], name=mm + "_node"),
                       helper.make_node("Add", [mm, bn], [out if last else ad], name=ad + "_node")])
        if not last:
            g.node.append(helper.make_node("Relu", [ad], [out], name=out + "_relu_node"))
        h = out
    n_out = int(layers[-1][0].shape[1])
    g.output.append(helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", n_out]))
    return model


def gate_output(model, output="sentence_embedding", flag="embedding_wanted"):
    """Make an output optional to compute, in place: the nodes that only
    `output` needs (with the initializers only they read) move into the
    then-branch of an If on a new bool input `flag`. The input defaults to
    True (an initializer of the same name), so callers that do not feed it
    get the graph they had; fed False, the If gives a [batch, 0] tensor and
    none of those nodes run. Every other output is computed by the same
    nodes as before, so it is identical either way.

    For the tuned-branch graph this leaves out the shared encoder's top
    layers and the embedding pooling when a caller reads only the heads.
    Returns (number of nodes moved, number of initializers moved)."""
    g = model.graph
    if flag in {i.name for i in g.input}:
        raise ValueError("the graph already has an input `%s`" % flag)
    nodes = list(g.node)
    producer = {o: k for k, n in enumerate(nodes) for o in n.output}

    def needed(outputs):
        seen, stack = set(), list(outputs)
        while stack:
            k = producer.get(stack.pop())
            if k is not None and k not in seen:
                seen.add(k)
                stack.extend(nodes[k].input)
        return seen

    others = needed([o.name for o in g.output if o.name != output])
    only = needed([output]) - others
    if not only:
        raise ValueError("no node computes `%s` alone" % output)

    def copy(n, proto=onnx.NodeProto):
        c = proto()
        c.CopyFrom(n)
        return c

    moved = [copy(n) for k, n in enumerate(nodes) if k in only]
    stay = [copy(n) for k, n in enumerate(nodes) if k not in only]
    read_outside = {i for n in stay for i in n.input} | {o.name for o in g.output}
    read_inside = {i for n in moved for i in n.input}
    inits = [t for t in g.initializer if t.name in read_inside and t.name not in read_outside]
    moved_inits = {t.name for t in inits}
    kept = [copy(t, onnx.TensorProto) for t in g.initializer if t.name not in moved_inits]
    inner = output + "_computed"
    for n in moved:
        for k, o in enumerate(n.output):
            if o == output:
                n.output[k] = inner
    then_g = helper.make_graph(moved, "with_" + output, [],
                               [helper.make_tensor_value_info(inner, TensorProto.FLOAT, None)],
                               initializer=inits)
    batch_input = g.input[0].name
    else_g = helper.make_graph(
        [helper.make_node("Shape", [batch_input], [flag + "_batch"], start=0, end=1),
         helper.make_node("Concat", [flag + "_batch", flag + "_zero"], [flag + "_shape"], axis=0),
         helper.make_node("ConstantOfShape", [flag + "_shape"], [flag + "_empty"],
                          value=numpy_helper.from_array(np.zeros(1, np.float32)))],
        "without_" + output, [],
        [helper.make_tensor_value_info(flag + "_empty", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.array([0], np.int64), flag + "_zero")])
    gate = helper.make_node("If", [flag], [output], name="gate_" + output,
                            then_branch=then_g, else_branch=else_g)
    del g.node[:]
    g.node.extend(stay + [gate])
    del g.initializer[:]
    g.initializer.extend(kept + [numpy_helper.from_array(np.array(True), flag)])
    g.input.append(helper.make_tensor_value_info(flag, TensorProto.BOOL, []))
    return len(moved), len(inits)


def pad_batch(encodings, pad_id=1):
    """Token ids and attention mask (int64) of tokenizer encodings, padded
    to the longest one with `pad_id` (`<pad>` = 1 in the e5 tokenizer)."""
    n = max(len(e.ids) for e in encodings)
    ids = np.full((len(encodings), n), pad_id, dtype=np.int64)
    mask = np.zeros((len(encodings), n), dtype=np.int64)
    for i, e in enumerate(encodings):
        ids[i, :len(e.ids)] = e.ids
        mask[i, :len(e.ids)] = 1
    return ids, mask


def head_forward(layers, x):
    """The sentiment head in numpy: dense layers [(W, b), ...] with ReLU
    between them (none after the last); the reference for the merged graph."""
    h = x
    for k, (W, b) in enumerate(layers):
        h = h @ W + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0)
    return h
