"""engine.embed."""

from __future__ import annotations

import pytest

import vocmine

np = pytest.importorskip("numpy")


def test_embed(model_dir):
    engine = vocmine.Engine(models=model_dir)
    texts = ["车机又死机了", "The screen freezes every morning", "Экран зависает", "车机又死机了"]
    x = engine.embed(texts)
    assert isinstance(x, np.ndarray)
    assert x.dtype == np.float32 and x.shape == (4, engine.dimension) == (4, 384)
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(x[0], x[3])  # identical texts, identical rows
    # Order and batching do not change a text's embedding (beyond rounding).
    single = engine.embed("The screen freezes every morning")
    assert single.shape == (1, 384)
    assert np.allclose(single[0], x[1], atol=1e-5)
    # Similar complaints are closer than unrelated texts.
    y = vocmine.Engine(models=model_dir).embed(["The screen freezes", "The display hangs", "I love the seats"])
    assert y[0] @ y[1] > y[0] @ y[2]
    assert x.flags.writeable
    empty = engine.embed([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    with pytest.raises(TypeError):
        engine.embed([1, 2])


def test_embed_without_model():
    engine = vocmine.Engine(no_model=True)
    assert not engine.has_model and engine.dimension is None
    with pytest.raises(vocmine.ModelNotFoundError, match="no model"):
        engine.embed(["x"])
