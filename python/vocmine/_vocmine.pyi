"""Type stubs of the native module ``vocmine._vocmine`` (use ``vocmine`` instead)."""

from typing import Any, Iterable, Optional, Sequence

__version__: str

class VocmineError(Exception):
    """Base class of every vocmine error."""

class InputError(VocmineError):
    """A record was invalid and the call was strict."""

    kind: str
    line: int
    field: Optional[str]
    reason: str

class ConfigError(VocmineError):
    """An option is invalid."""

class ResourceError(VocmineError):
    """A user dictionary or another resource could not be parsed."""

    path: str
    line: int

class DataError(VocmineError):
    """Inputs that do not fit together (embeddings of different dimensions, a store analyzed with another encoder)."""

class TableError(VocmineError):
    """A Parquet file of a store or an Arrow batch could not be read or written, or has another shape."""

    what: str

class ModelNotFoundError(VocmineError):
    """A model directory, file or ONNX Runtime is missing, or the engine has no model."""

    path: str

class ModelError(VocmineError):
    """Inference failed at run time."""

class VocmineIOError(VocmineError):
    """Reading or writing a file failed."""

    path: str

class SerializationError(VocmineError):
    """Output could not be serialized."""

class Engine:
    def __init__(
        self,
        languages: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        tokens: bool = False,
        model: Optional[str] = None,
        batch_size: int = 1,
        sessions: Optional[int] = None,
        intra_threads: Optional[int] = None,
        onnxruntime: Optional[str] = None,
        user_dicts: Optional[Sequence[str]] = None,
        words: Optional[Sequence[str]] = None,
        hmm: bool = True,
        pos: bool = False,
        encode_all_speakers: bool = False,
        codebook: Optional[str] = None,
        alerts: Optional[str] = None,
        keep_terms: bool = False,
        redact: Optional[str] = None,
        redact_key: Optional[bytes] = None,
        max_record_bytes: int = 1048576,
    ) -> None: ...
    @property
    def has_model(self) -> bool: ...
    @property
    def model_dir(self) -> Optional[str]: ...
    @property
    def dimension(self) -> Optional[int]: ...
    @property
    def tokens(self) -> bool: ...
    def add_words(self, words: Sequence[str]) -> None: ...
    def encoder_stats(self) -> Optional[dict[str, int]]: ...
    def analyze_json(self, records: Iterable[Any], start_line: int = 1, strict: bool = False) -> str: ...
    def analyze_columns(
        self, records: Iterable[Any], start_line: int = 1, strict: bool = False
    ) -> tuple[dict[str, Any], str]: ...
    def embed_bytes(self, texts: Sequence[str]) -> tuple[bytearray, int, int]: ...
    def store_batches(
        self, records: Iterable[Any], first_row: int = 0, start_line: int = 1, lines: bool = False
    ) -> tuple[bytes, bytes]: ...
    @property
    def codebook_name(self) -> Optional[str]: ...
    def reclassify_batch(self, ipc: bytes, dim: int, full: bool) -> bytes: ...
    def evaluate_records_json(
        self, lines: Optional[Sequence[str]] = ..., path: Optional[str] = ...
    ) -> str: ...
    def evaluate_codebook_json(
        self, lines: Optional[Sequence[str]] = ..., path: Optional[str] = ..., only_gold_codes: bool = False
    ) -> str: ...
    def learn_codebook_json(
        self,
        codebook: str,
        out: str,
        lines: Optional[Sequence[str]] = ...,
        path: Optional[str] = ...,
        epochs: int = 300,
        points_only: bool = False,
        term_scale: float = 0.3,
    ) -> str: ...
    def analyze_file_json(
        self,
        input: str,
        output: str,
        store: Optional[str] = None,
        alerts_out: Optional[str] = None,
        strict: bool = False,
        resume: bool = False,
        checkpoint_every: int = 65536,
    ) -> str: ...
    def reclassify_json(
        self,
        store: str,
        codebook: str,
        diff: Optional[str] = ...,
        full: bool = False,
        output: Optional[str] = ...,
    ) -> tuple[str, Optional[str]]: ...

def redact_text(
    text: str, kinds: str = "all", key: Optional[bytes] = None, identifier: bool = False
) -> tuple[str, str]: ...
def detect_pii(text: str, kinds: str = "all") -> str: ...
def analyze_json(line: str) -> str: ...
def output_schema() -> str: ...
def metrics_json(
    path: Optional[str] = None,
    lines: Optional[str] = None,
    by: Optional[Sequence[str]] = None,
    period: str = "week",
    drivers: Optional[int] = None,
) -> str: ...
def compare_json(before: str, after: str, path: Optional[str] = None, lines: Optional[str] = None) -> str: ...
def read_gold_json(path: str) -> str: ...
def cluster_records_json(
    engine: Engine,
    items: Sequence[Any],
    config_json: str = "",
    all_speakers: bool = False,
    level: str = "auto",
) -> str: ...
def cluster_vectors_json(
    data: bytes, dim: int, languages: Optional[Sequence[str]] = None, config_json: str = ""
) -> str: ...

def cluster_items_batch(
    engine: Engine,
    ipc: bytes,
    dim: int,
    level: str = "auto",
    all_speakers: bool = False,
    fraction: float = 1.0,
    seed: int = 42,
) -> bytes: ...
def cluster_fit_items(ipc: bytes, model_dir: str, config_json: str = "") -> str: ...
def sample_mask(ids: Sequence[str], clauses: Sequence[int], fraction: float, seed: int) -> list[bool]: ...
def cluster_report_placed(model_dir: str, ipc: bytes, codebook: Optional[str] = None) -> str: ...

class ClusterPlacer:
    def __init__(self, model_dir: str) -> None: ...
    def place_batch(self, ipc: bytes) -> bytes: ...

def store_schemas(dim: int) -> tuple[bytes, bytes]: ...
def read_store_ipc(path: str, table: str) -> bytes: ...
def report_html(
    path: Optional[str] = None,
    lines: Optional[str] = None,
    title: Optional[str] = None,
    lang: str = "en",
    journey: Optional[Sequence[str]] = None,
    verbatims: int = 20,
    clusters: Optional[str] = None,
    compare: Optional[Sequence[str]] = None,
    keywords: int = 30,
) -> str: ...
def store_manifest(
    records: int, clauses: int, encoder: Optional[str] = None, dim: int = 0, codebook: Optional[str] = None
) -> str: ...
