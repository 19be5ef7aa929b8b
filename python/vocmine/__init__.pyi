"""Type stubs of the ``vocmine`` package."""

import os
from typing import Any, Callable, Iterable, Literal, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from ._vocmine import (
    ConfigError as ConfigError,
    InputError as InputError,
    ModelError as ModelError,
    ModelNotFoundError as ModelNotFoundError,
    ResourceError as ResourceError,
    SerializationError as SerializationError,
    VocmineError as VocmineError,
    VocmineIOError as VocmineIOError,
)
from . import model as model

__version__: str
DEFAULT_MODEL: str
CHUNK: int
FRAME_FIELDS: tuple[str, ...]

_Path = Union[str, os.PathLike[str]]
_Record = Union[str, Mapping[str, Any]]
Progress = Union[bool, Callable[[int, int], Any], None]

def output_schema() -> dict[str, Any]: ...
def read_store(path: _Path, table: str = "records") -> Any: ...

class Report:
    html: str
    def __init__(self, html: str) -> None: ...
    def save(self, path: _Path) -> None: ...
    def _repr_html_(self) -> str: ...

def report(
    data: Union[_Path, Iterable[_Record]],
    output: Optional[_Path] = None,
    *,
    title: str = "Voice of the customer",
    lang: str = "en",
    journey: Optional[Iterable[str]] = None,
    verbatims: int = 20,
    clusters: Optional[_Path] = None,
    compare: Optional[Iterable[str]] = None,
    keywords: int = 30,
) -> Report: ...

PII_KINDS: tuple[str, ...]

def redact(
    text: str,
    kinds: Union[str, Sequence[str]] = "all",
    *,
    key: Union[bytes, str, None] = None,
    identifier: bool = False,
) -> tuple[str, list[dict[str, Any]]]: ...
def detect_pii(text: str, kinds: Union[str, Sequence[str]] = "all") -> list[dict[str, Any]]: ...

class Engine:
    def __init__(
        self,
        models: Optional[_Path] = None,
        languages: Union[str, Sequence[str]] = ("zh", "ru", "en"),
        threads: Optional[int] = None,
        tokens: bool = False,
        no_model: bool = False,
        batch_size: int = 1,
        *,
        sessions: Optional[int] = None,
        intra_threads: Optional[int] = None,
        onnxruntime: Optional[_Path] = None,
        user_dicts: Optional[Sequence[_Path]] = None,
        words: Optional[Sequence[str]] = None,
        hmm: bool = True,
        pos: bool = False,
        encode_all_speakers: bool = False,
        codebook: Optional[_Path] = None,
        alerts: Optional[_Path] = None,
        keep_terms: bool = False,
        redact: Union[bool, str, Sequence[str], None] = None,
        redact_key: Union[bytes, str, None] = None,
        max_record_bytes: int = 1048576,
    ) -> None: ...
    @property
    def has_model(self) -> bool: ...
    @property
    def model_dir(self) -> Optional[str]: ...
    @property
    def dimension(self) -> Optional[int]: ...
    def encoder_stats(self) -> Optional[dict[str, int]]: ...
    def add_words(self, words: Iterable[str]) -> None: ...
    def analyze(
        self,
        data: Union[_Record, Iterable[_Record]],
        *,
        strict: bool = False,
        progress: Progress = None,
    ) -> list[dict[str, Any]]: ...
    def analyze_frame(
        self,
        df: Any,
        text: str = "text",
        id: Optional[str] = "id",
        *,
        arrow: bool = False,
        strict: bool = False,
        progress: Progress = None,
        **columns: str,
    ) -> Any: ...
    def analyze_file(
        self,
        input: Union[str, os.PathLike[str]],
        output: Union[str, os.PathLike[str]],
        *,
        store: Optional[Union[str, os.PathLike[str]]] = None,
        alerts_out: Optional[Union[str, os.PathLike[str]]] = None,
        strict: bool = False,
        resume: bool = False,
        checkpoint_every: int = 65536,
    ) -> dict[str, Any]: ...
    def embed(self, texts: Union[str, Iterable[str]]) -> npt.NDArray[np.float32]: ...
    def evaluate_records(self, data: Union[str, os.PathLike[str], Iterable[Mapping[str, Any]]]) -> dict[str, Any]: ...
    def evaluate_codebook(
        self, gold: Union[str, os.PathLike[str], Iterable[Mapping[str, Any]]], *, only_gold_codes: bool = False
    ) -> dict[str, Any]: ...
    def learn_codebook(
        self,
        codebook: Union[str, os.PathLike[str]],
        gold: Union[str, os.PathLike[str], Iterable[Mapping[str, Any]]],
        out: Union[str, os.PathLike[str]],
        *,
        epochs: int = 300,
        points_only: bool = False,
        term_scale: float = 0.3,
    ) -> dict[str, Any]: ...
    def reclassify(
        self,
        store: Union[str, os.PathLike[str]],
        codebook: Union[str, os.PathLike[str]],
        *,
        diff: Optional[Union[str, os.PathLike[str]]] = None,
        full: bool = False,
        output: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> dict[str, Any]: ...
    def cluster(
        self,
        data: Union[_Record, Iterable[_Record]],
        *,
        all_speakers: bool = False,
        level: Literal["clause", "record", "auto"] = "auto",
        **settings: Any,
    ) -> dict[str, Any]: ...

def read_gold(path: Union[str, os.PathLike[str]]) -> list[dict[str, Any]]: ...
def analyze(
    data: Union[_Record, Iterable[_Record]],
    *,
    strict: bool = False,
    progress: Progress = None,
) -> list[dict[str, Any]]: ...

def metrics(
    data: Union[_Path, Mapping[str, Any], Iterable[Union[str, Mapping[str, Any]]]],
    *,
    by: Union[str, Sequence[str], None] = ("channel", "touchpoint", "period"),
    period: str = "week",
    drivers: Optional[int] = None,
) -> dict[str, Any]: ...
def compare(
    data: Union[_Path, Mapping[str, Any], Iterable[Union[str, Mapping[str, Any]]]],
    before: str,
    after: str,
) -> dict[str, Any]: ...

def cluster_embeddings(
    embeddings: Any, languages: Optional[Sequence[str]] = None, **settings: Any
) -> dict[str, Any]: ...
