"""vocmine: conversational text mining for voice-of-customer analytics.

A thin Python layer over the Rust core (``vocmine._vocmine``): every result
is computed by the same code as the ``vocmine`` CLI, and
``Engine.analyze`` returns exactly the CLI's JSON output, one dict per record.

>>> import vocmine
>>> engine = vocmine.Engine(no_model=True)
>>> out = engine.analyze("菜很好吃，但是等了一个小时")
>>> [c["text"] for c in out[0]["clauses"]]
['菜很好吃', '但是等了一个小时']
>>> out[0]["language"], out[0]["script"]
('zh', 'Hans')

Errors of the core raise one exception class per kind, all subclasses of
:class:`VocmineError`::

    try:
        vocmine.Engine(models="no/such/dir")
    except vocmine.ModelNotFoundError as e:
        print(e)   # no/such/dir: config.json is missing; run `python3 models/setup.py` ...
"""

from __future__ import annotations

import json as _json
import os as _os
import threading as _threading
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _vocmine
from . import model
from ._vocmine import (
    ConfigError,
    DataError,
    InputError,
    ModelError,
    ModelNotFoundError,
    ResourceError,
    SerializationError,
    TableError,
    VocmineError,
    VocmineIOError,
)

__version__: str = _vocmine.__version__

__all__ = [
    "Engine",
    "analyze",
    "redact",
    "detect_pii",
    "PII_KINDS",
    "metrics",
    "compare",
    "cluster_embeddings",
    "read_gold",
    "read_store",
    "report",
    "Report",
    "output_schema",
    "DEFAULT_MODEL",
    "VocmineError",
    "InputError",
    "ConfigError",
    "ResourceError",
    "DataError",
    "TableError",
    "ModelNotFoundError",
    "ModelError",
    "VocmineIOError",
    "SerializationError",
    "__version__",
]

#: The default model directory relative to the current directory; when it
#: does not exist, the per-user one that ``python -m vocmine.model`` builds
#: (see :mod:`vocmine.model`; ``VOCMINE_MODEL`` overrides both).
DEFAULT_MODEL = "models/multilingual-e5-small"

#: Records per call into the core (the CLI's batch size): bounds memory and
#: sets how often ``progress`` is called.
CHUNK = 2048

#: Record fields that ``analyze_frame`` takes from columns of the same name
#: (or from the column named by a keyword argument).
FRAME_FIELDS = ("channel", "touchpoint", "time", "customer", "scores", "meta", "turns")
_SCORE_FIELDS = ("nps", "csat", "ces")

Progress = Union[bool, Callable[[int, int], Any], None]


def _default_model() -> str:
    return model.find() or DEFAULT_MODEL


def output_schema() -> dict:
    """The JSON Schema of one output record (as ``vocmine schema`` prints it)."""
    return _json.loads(_vocmine.output_schema())


class _Reporter:
    """Calls a progress callable, or drives a tqdm bar, after each chunk."""

    def __init__(self, progress: Progress, total: int, desc: str) -> None:
        self.fn: Optional[Callable[[int, int], Any]] = None
        self.bar = None
        self.total = total
        if progress is True:
            try:
                from tqdm.auto import tqdm  # type: ignore[import-not-found]
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=desc, unit="rec")
        elif callable(progress):
            self.fn = progress
        elif progress not in (None, False):
            raise TypeError("progress must be None, a bool or a callable(done, total)")

    def __call__(self, done: int, step: int) -> None:
        if self.fn is not None:
            self.fn(done, self.total)
        if self.bar is not None:
            self.bar.update(step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _as_records(data: Any) -> list:
    """A str or a dict is one record; any other iterable is many."""
    if isinstance(data, (str, Mapping)):
        return [data]
    if isinstance(data, (bytes, bytearray)):
        raise TypeError("pass text as str (decode bytes first)")
    try:
        # pandas Series / numpy arrays: their values, not their index.
        values = data.tolist() if hasattr(data, "tolist") else data
        return list(values)
    except TypeError:
        raise TypeError(
            "expected a str, a dict, or an iterable of str/dict records, "
            f"got {type(data).__name__}"
        ) from None


PII_KINDS = ("email", "id_cn", "card", "snils", "inn", "passport_ru", "phone", "ip", "plate", "name")
"""The kinds of personal data :func:`redact` and ``Engine(redact=...)`` know."""


def _redact_kinds(redact: Union[bool, str, Sequence[str], None]) -> Optional[str]:
    if redact is None or redact is False:
        return None
    if redact is True:
        return "all"
    if isinstance(redact, str):
        return redact
    return ",".join(redact)


def _key_bytes(key: Union[bytes, str, None]) -> Optional[bytes]:
    if key is None:
        return None
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def redact(
    text: str,
    kinds: Union[str, Sequence[str]] = "all",
    *,
    key: Union[bytes, str, None] = None,
    identifier: bool = False,
) -> Tuple[str, List[Dict[str, Any]]]:
    """Redacts personal data in one text, as ``Engine(redact=...)`` does.

    Returns the text with typed placeholders (``[PHONE]``, ``[EMAIL]``, …)
    and the redactions (``kind``, ``start``, ``end``: char offsets of each
    placeholder in the returned text). With ``identifier=True`` the text is
    read as an id (``-`` and ``_`` separate parts) and, with a ``key``,
    detected spans become keyed pseudonyms (``[PHONE:9c1e…]``).

    Raises:
        ConfigError: an unknown kind, or an empty key.

    Example:
        >>> redact("我叫王小明，电话138-1234-5678")[0]
        '我叫[NAME]，电话[PHONE]'
    """
    out, spans = _vocmine.redact_text(text, _redact_kinds(kinds) or "all", _key_bytes(key), identifier)
    return out, _json.loads(spans)


def detect_pii(text: str, kinds: Union[str, Sequence[str]] = "all") -> List[Dict[str, Any]]:
    """The personal data in a text without replacing it: ``kind``,
    ``start``, ``end`` (char offsets in ``text`` as given), in order.

    Example:
        >>> detect_pii("mail a@b.com")
        [{'kind': 'email', 'start': 5, 'end': 12}]
    """
    return _json.loads(_vocmine.detect_pii(text, _redact_kinds(kinds) or "all"))


class Engine:
    """The analysis engine: built once, shared by threads, analyzes records.

    Args:
        models: the model directory (``model.onnx`` + ``tokenizer.json`` +
            ``config.json``); default ``$VOCMINE_MODEL``, else
            ``models/multilingual-e5-small`` relative to the current
            directory, else the per-user one that ``python -m vocmine.model``
            builds (:mod:`vocmine.model`). ONNX Runtime is found through ``ORT_DYLIB_PATH``,
            ``<root>/models/ort.env`` or ``<root>/.venv-models/``, where
            ``<root>`` is the model directory's grandparent (as in the CLI).
        languages: the language allowlist (ISO 639-1 codes, or ``"all"``).
        threads: worker threads (default: one per core).
        tokens: include tokens in every clause (the CLI's ``--tokens``).
        no_model: run only the stages that need no model (no sentiment, no
            embeddings); needs no model files.
        batch_size: texts per inference batch (default 1: each text is
            encoded alone, so its results do not depend on the other
            records of a call, a chunk or a Spark partition; larger batches
            are faster on long texts, but the int8 model's numbers then
            shift slightly with the texts batched together).
        sessions, intra_threads, onnxruntime: the CLI's ``--sessions``,
            ``--intra-threads`` and an explicit ONNX Runtime library path.
        user_dicts: jieba user dictionaries (``word [freq] [tag]`` per line).
        words: extra Chinese words.
        hmm, pos: jieba's HMM for unknown words; part-of-speech tags.
        encode_all_speakers: give every speaker's clauses a sentiment, not
            only the customer's.
        codebook: a codebook file (YAML, CSV or XLSX; see
            ``corpora/codebooks/FORMAT.md``): customer clauses get ``codes``
            (with point type, owner and evidence) and records get ``codes``
            and ``points``.
        alerts: an alert rules file (YAML, e.g. ``corpora/alerts.yaml``):
            every analyzed record gets ``alerts`` (rule, severity, owner,
            deadline, reason and the span of every trigger), as
            ``vocmine analyze --alerts`` writes them. Conversation records
            always get ``conversation`` (trajectory, unresolved end,
            escalation request, repeat contact, agent apology and empathy).
        keep_terms: keep each clause's folded text and tokens for a result
            store (as ``vocmine analyze --store`` does; :mod:`vocmine.spark`
            sets it); the output dicts are the same either way.
        redact: redact personal data in every field of every record before
            it is analyzed (the CLI's ``--redact``): ``True`` for every kind,
            or the kinds to redact (``["phone", "email"]`` or
            ``"phone,email"``; see :data:`PII_KINDS`). Every text of the
            output holds typed placeholders (``[PHONE]``) instead, with a
            ``redactions`` list (kind, span, field) per record and turn.
        max_record_bytes: a record whose JSON is larger (a dict, a string or
            a line given to :meth:`analyze`, :meth:`analyze_file`, …) gets a
            ``too_large`` error line instead of an analysis, as the CLI's
            ``--max-record-bytes`` (default 1 MiB).
        redact_key: the key (bytes or str) of the identifiers' pseudonyms:
            a phone number in ``id`` or ``customer`` becomes
            ``[PHONE:9c1e…]``, the same for the same number under the same
            key; without a key, the plain placeholder.

    Raises:
        ConfigError: an invalid option (an unknown language, ``threads=0``).
        ModelNotFoundError: the model directory, a model file or ONNX
            Runtime is missing (the message names the set-up command).
        ResourceError, VocmineIOError: a user dictionary, the codebook or
            the alert rules cannot be parsed or read (the message names file,
            line and code or rule).

    Example:
        >>> engine = Engine(no_model=True, languages=["zh", "ru", "en"])
        >>> engine.analyze({"id": "r1", "text": "Доставка быстрая, но курьер грубый"})[0]["clauses"][1]["text"]
        'но курьер грубый'
    """

    def __init__(
        self,
        models: Union[str, "_os.PathLike[str]", None] = None,
        languages: Union[str, Sequence[str]] = ("zh", "ru", "en"),
        threads: Optional[int] = None,
        tokens: bool = False,
        no_model: bool = False,
        batch_size: int = 1,
        *,
        sessions: Optional[int] = None,
        intra_threads: Optional[int] = None,
        onnxruntime: Union[str, "_os.PathLike[str]", None] = None,
        user_dicts: Optional[Sequence[Union[str, "_os.PathLike[str]"]]] = None,
        words: Optional[Sequence[str]] = None,
        hmm: bool = True,
        pos: bool = False,
        encode_all_speakers: bool = False,
        codebook: Union[str, "_os.PathLike[str]", None] = None,
        alerts: Union[str, "_os.PathLike[str]", None] = None,
        keep_terms: bool = False,
        redact: Union[bool, str, Sequence[str], None] = None,
        redact_key: Union[bytes, str, None] = None,
        max_record_bytes: int = 1 << 20,
    ) -> None:
        if isinstance(languages, str):
            languages = [p.strip() for p in languages.split(",") if p.strip()]
        model = None if no_model else _os.fspath(models if models is not None else _default_model())
        self._native = _vocmine.Engine(
            languages=list(languages),
            threads=threads,
            tokens=tokens,
            model=model,
            batch_size=batch_size,
            sessions=sessions,
            intra_threads=intra_threads,
            onnxruntime=None if onnxruntime is None else _os.fspath(onnxruntime),
            user_dicts=None if user_dicts is None else [_os.fspath(p) for p in user_dicts],
            words=None if words is None else list(words),
            hmm=hmm,
            pos=pos,
            encode_all_speakers=encode_all_speakers,
            codebook=None if codebook is None else _os.fspath(codebook),
            alerts=None if alerts is None else _os.fspath(alerts),
            keep_terms=keep_terms,
            redact=_redact_kinds(redact),
            redact_key=_key_bytes(redact_key),
            max_record_bytes=max_record_bytes,
        )

    def __repr__(self) -> str:
        return repr(self._native)

    @property
    def has_model(self) -> bool:
        """Whether the engine has the neural model (sentiment, embeddings)."""
        return self._native.has_model

    @property
    def model_dir(self) -> Optional[str]:
        """The model directory, or None without a model."""
        return self._native.model_dir

    @property
    def dimension(self) -> Optional[int]:
        """The embedding dimension, or None without a model."""
        return self._native.dimension

    def encoder_stats(self) -> Optional[dict]:
        """The encoder's counters so far (texts, encoded, cache_hits, truncated, tokens, batches)."""
        return self._native.encoder_stats()

    def add_words(self, words: Iterable[str]) -> None:
        """Adds words to the Chinese segmentation dictionary at run time."""
        self._native.add_words(list(words))

    def _chunks(self, records: list, progress: Progress, desc: str):
        reporter = _Reporter(progress, len(records), desc)
        try:
            for start in range(0, len(records), CHUNK):
                chunk = records[start : start + CHUNK]
                yield start, chunk
                reporter(start + len(chunk), len(chunk))
        finally:
            reporter.close()

    def analyze(
        self,
        data: Any,
        *,
        strict: bool = False,
        progress: Progress = None,
    ) -> list:
        """Analyzes records; returns one dict per record, in input order.

        ``data`` is a str (one text), a dict (one record: ``text`` or
        ``turns``, ``id``, ``channel``, ``touchpoint``, ``time``,
        ``customer``, ``scores``, ``meta`` as in the CLI's input), or an
        iterable of str / dict. Record ``i`` (0-based) gets ``line = i + 1``
        and, without an ``id``, ``id = i + 1``, as line ``i + 1`` of a JSON
        Lines file would. Each dict has exactly the fields of the CLI's JSON
        output line. A bad record gives a dict with an ``error`` object
        (``kind``, ``line``, ``field``, ``message``), as in the CLI; with
        ``strict=True`` it raises :class:`InputError` instead.

        ``progress``: a callable ``progress(done, total)`` called after each
        chunk of 2,048 records, or ``True`` for a tqdm bar when tqdm is
        installed. The work runs without the GIL.

        Example:
            >>> engine = Engine(no_model=True)
            >>> out = engine.analyze([
            ...     {"id": "c1", "turns": [
            ...         {"speaker": "agent", "text": "Hello, how can I help?"},
            ...         {"speaker": "customer", "text": "The app crashes, but support was kind."}]},
            ...     {"id": "bad", "text": 42},
            ... ])
            >>> [c["text"] for c in out[0]["clauses"] if c["role"] == "customer"]
            ['The app crashes', 'but support was kind.']
            >>> out[1]["error"]["kind"]
            'wrong_type'
        """
        records = _as_records(data)
        out: list = []
        for start, chunk in self._chunks(records, progress, "vocmine analyze"):
            text = self._native.analyze_json(chunk, start_line=start + 1, strict=strict)
            out.extend(_json.loads(text))
        return out

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
    ) -> Any:
        """Analyzes the rows of a pandas DataFrame; returns one row per clause.

        Args:
            df: a DataFrame (one record per row).
            text: the text column.
            id: the id column (when absent, the id is the row's 1-based position).
            arrow: return a ``pyarrow.Table`` instead of a DataFrame.
            strict: raise :class:`InputError` on the first bad row.
            progress: as in :meth:`analyze`.
            **columns: record fields from other columns, e.g.
                ``channel="source"``, ``touchpoint="stage"``, ``time="created_at"``,
                ``customer="cust_id"``, ``nps="nps_score"``, ``meta="extra"``,
                ``turns="dialog"`` (a column of turn lists, instead of ``text``).
                Columns named ``channel``, ``touchpoint``, ``time``,
                ``customer``, ``scores``, ``meta``, ``nps``, ``csat``, ``ces`` are used
                without being named.

        Returns:
            One row per clause with the columns ``id, line, turn, speaker,
            role, clause, start, end, text, language, script,
            record_language, sentiment_label, sentiment_polarity,
            sentiment_confidence``, and ``channel``, ``touchpoint``,
            ``time``, ``customer`` when the input has them. ``line`` is the
            row's 1-based position, ``clause`` the clause's index in its
            record, ``start``/``end`` character offsets into the turn's (or
            the record's) original text. Sentiment is missing (NaN / None)
            without a model and for non-customer clauses. Rows that could not
            be analyzed have no clauses; their error dicts are in
            ``result.attrs["errors"]`` (DataFrame) or the table's schema
            metadata ``b"vocmine.errors"`` (JSON, Arrow).

        Example:
            >>> import pandas as pd
            >>> df = pd.DataFrame({"id": ["a", "b"],
            ...                    "text": ["Fast delivery, but the box was crushed", "Всё отлично"],
            ...                    "touchpoint": ["delivery", "checkout"]})
            >>> clauses = Engine(no_model=True).analyze_frame(df)
            >>> clauses[["id", "clause", "text", "language", "touchpoint"]].values.tolist()
            [['a', 0, 'Fast delivery', 'en', 'delivery'], ['a', 1, 'but the box was crushed', 'en', 'delivery'], ['b', 0, 'Всё отлично', 'ru', 'checkout']]
        """
        records = _frame_records(df, text, id, columns)
        parts: list = []
        errors: list = []
        for start, chunk in self._chunks(records, progress, "vocmine analyze_frame"):
            cols, errs = self._native.analyze_columns(chunk, start_line=start + 1, strict=strict)
            parts.append(cols)
            errors.extend(_json.loads(errs))
        present = [f for f in ("channel", "touchpoint", "time", "customer") if any(f in r for r in records)]
        if arrow:
            return _to_arrow(parts, present, errors)
        return _to_pandas(parts, present, errors)

    def embed(self, texts: Union[str, Iterable[str]]) -> Any:
        """Embeds whole texts (not clauses) with the model.

        Returns a float32 ``numpy.ndarray`` of shape ``[n, dim]`` whose rows
        are L2-normalized, in input order (the model's ``query:`` prefix is
        added by the core). A single str gives shape ``[1, dim]``.

        Raises:
            ModelNotFoundError: the engine has no model (``no_model=True``).
            ModelError: inference failed.

        Example:
            >>> engine = Engine()                                   # doctest: +SKIP
            >>> x = engine.embed(["车机又死机了", "The screen freezes"])  # doctest: +SKIP
            >>> x.shape, x.dtype                                    # doctest: +SKIP
            ((2, 384), dtype('float32'))
        """
        import numpy as np

        if isinstance(texts, str):
            texts = [texts]
        texts = _as_records(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"embed() takes texts (str); item {i} is {type(t).__name__}")
        buf, rows, dim = self._native.embed_bytes(texts)
        if rows == 0:
            return np.zeros((0, dim or (self.dimension or 0)), dtype=np.float32)
        return np.frombuffer(buf, dtype=np.float32).reshape(rows, dim)

    def evaluate_records(self, data: Any) -> dict:
        """Scores labelled records the way ``vocmine eval --records`` does:
        each is analyzed exactly as :meth:`analyze` analyzes it, and the
        record's sentiment label and its clauses' voice types are compared
        with the gold labels.

        ``data`` is a path to a JSON Lines file or an iterable of dicts, each
        with ``text`` and any of ``id``, ``language``, ``sentiment``
        (``negative`` / ``neutral`` / ``positive``: the record's overall
        label), ``voice`` (``pain`` / ``itch`` / ``delight`` / ``neutral``:
        the record is one clause) or ``itch`` (true / false) and ``set``
        (groups the report).

        Returns the report as a dict: ``records``, and per set and per
        detected language the accuracy, macro-F1, per-class precision /
        recall / F1 and confusion matrix of the sentiment and voice type,
        and itch precision / recall / F1.

        Raises:
            ResourceError: a record is not valid (the message names the
                file and line, or ``<records>`` and the 1-based item number).
            VocmineIOError: the file cannot be read.

        Example:
            >>> engine = Engine()                                       # doctest: +SKIP
            >>> r = engine.evaluate_records([{"text": "Great hotel!", "sentiment": "positive"}])  # doctest: +SKIP
            >>> r["records"]                                            # doctest: +SKIP
            1
        """
        if isinstance(data, (str, _os.PathLike)):
            return _json.loads(self._native.evaluate_records_json(path=_os.fspath(data)))
        lines = []
        for i, item in enumerate(_as_records(data)):
            if not isinstance(item, dict):
                raise TypeError(f"evaluate_records() takes dicts; item {i} is {type(item).__name__}")
            lines.append(_json.dumps(item, ensure_ascii=False))
        return _json.loads(self._native.evaluate_records_json(lines=lines))

    def evaluate_codebook(self, gold: Any, *, only_gold_codes: bool = False) -> dict:
        """Scores the engine's codebook against gold texts the way
        ``vocmine eval --codebook --gold`` does: each text is analyzed as
        :meth:`analyze` analyzes it, and its record codes (not rolled up) are
        compared with the gold codes.

        ``gold`` is a path (JSON Lines, or a filled review sheet from
        ``vocmine codebook review``: ``.csv``, ``.tsv``, ``.xlsx``) or an
        iterable of dicts ``{"text": ..., "codes": [{"code": ..., "point":
        ...}], "id": ..., "language": ...}``. With ``only_gold_codes``, codes
        the gold never uses are ignored.

        Returns the report as a dict: ``texts``, per-code ``codes`` (support,
        predicted, tp, precision, recall, f1), ``micro``, ``macro_avg``,
        the point confusion and ``point_accuracy``.

        Raises:
            ConfigError: the engine has no codebook.
            ResourceError: a gold item is not valid (the message names the
                file and line, or ``<gold>`` and the 1-based item number).

        Example:
            >>> engine = Engine(codebook="corpora/codebooks/restaurant.yaml")   # doctest: +SKIP
            >>> engine.evaluate_codebook("gold.jsonl")["micro"]["f1"]           # doctest: +SKIP
            0.74
        """
        if isinstance(gold, (str, _os.PathLike)):
            out = self._native.evaluate_codebook_json(path=_os.fspath(gold), only_gold_codes=only_gold_codes)
        else:
            out = self._native.evaluate_codebook_json(lines=_gold_lines(gold), only_gold_codes=only_gold_codes)
        return _json.loads(out)

    def learn_codebook(
        self,
        codebook: Any,
        gold: Any,
        out: Any,
        *,
        epochs: int = 300,
        points_only: bool = False,
        term_scale: float = 0.3,
    ) -> dict:
        """Fits the learned per-code classifiers of ``codebook`` (a path) on
        gold texts with this engine's encoder, as ``vocmine codebook learn``
        does, and writes them to ``out`` (name it under ``settings.learned``
        in the codebook to use them). A classifier is kept only where it beats
        the codebook without it in five-fold cross-validation.

        ``gold`` is as for :meth:`evaluate_codebook`. Returns a summary dict:
        ``codebook``, ``texts``, ``out``, per learned code its
        ``positives``, ``heldout_f1``, ``baseline_f1`` and ``top_terms``
        (its strongest lexical features), ``terms`` (how many lexical
        features the classifiers read), and ``points`` (``examples``,
        ``heldout_accuracy``, ``voice_accuracy`` of the point head learned
        from the gold's points, or ``None`` without one).

        The classifiers read each clause's embedding and its lexical
        features — word stems outside Chinese script, Chinese characters and
        character pairs — each worth ``term_scale / sqrt(count)`` in
        training (``codebook learn --term-scale``); ``term_scale=0`` fits
        them without.

        With ``points_only=True`` the classifiers the codebook names under
        ``settings.learned`` are kept exactly as they are and only the point
        head is fitted (``vocmine codebook learn --points-only``): for a
        codebook whose code figures should not move.

        Raises:
            ConfigError: the engine has no model, or ``points_only`` and the
                codebook names no learned classifiers.
            DataError: ``points_only`` and the gold gives no point.
            ResourceError: the codebook or a gold item is not valid.
        """
        kw: dict = {"epochs": epochs, "points_only": points_only, "term_scale": float(term_scale)}
        if isinstance(gold, (str, _os.PathLike)):
            kw["path"] = _os.fspath(gold)
        else:
            kw["lines"] = _gold_lines(gold)
        return _json.loads(self._native.learn_codebook_json(_os.fspath(codebook), _os.fspath(out), **kw))

    def reclassify(
        self,
        store: Any,
        codebook: Any,
        *,
        diff: Any = None,
        full: bool = False,
        output: Any = None,
    ) -> dict:
        """Codes every record of a result store again with ``codebook`` (a
        path), as ``vocmine reclassify`` does: only the codebook and points
        stages run, over the clauses, terms, sentiment and embeddings the
        store keeps (``vocmine analyze --store DIR``), in parallel on the
        engine's threads — the batch job that follows a codebook change.

        The codebook's exemplars are embedded with this engine's encoder
        (from the embedding cache when it has them), which must be the one
        the store was written with; an engine without a model runs the
        rules and the learned classifiers over the stored embeddings only.

        Returns a dict: ``records``, ``clauses``, ``codes`` (per code id:
        ``new`` and ``old`` record counts, ``gained``, ``lost``; ``old``,
        ``gained`` and ``lost`` count against the ``diff`` codebook, a path)
        and, unless ``output`` (a path) receives them as JSON Lines,
        ``lines``: one dict per stored record, in record order — the compact
        line (``row``, ``id``, ``line``, ``codes``, ``points``, coded
        ``clauses``), or with ``full=True`` the stored analysis line with
        the new codes.

        Raises:
            ResourceError: a codebook is missing or not valid.
            TableError: a store file is missing columns or cannot be read.
            DataError: the store was written with another encoder.

        Example:
            >>> engine = Engine()                                           # doctest: +SKIP
            >>> r = engine.reclassify("out/store", "new.yaml", diff="old.yaml")  # doctest: +SKIP
            >>> r["codes"]["service.wait"]                                  # doctest: +SKIP
            {'new': 41, 'old': 37, 'gained': 6, 'lost': 2}
        """
        summary, lines = self._native.reclassify_json(
            _os.fspath(store),
            _os.fspath(codebook),
            diff=None if diff is None else _os.fspath(diff),
            full=full,
            output=None if output is None else _os.fspath(output),
        )
        out = _json.loads(summary)
        if lines is not None:
            out["lines"] = _json.loads(lines)
        return out

    def analyze_file(
        self,
        input: Any,
        output: Any,
        *,
        store: Any = None,
        alerts_out: Any = None,
        strict: bool = False,
        resume: bool = False,
        checkpoint_every: int = 65536,
    ) -> dict:
        """Analyzes a file as ``vocmine analyze`` does, streaming in bounded
        memory whatever its size: ``input`` (JSON Lines; CSV when it ends in
        ``.csv``) → one JSON line per record in ``output``, in input order.

        With a codebook the records are coded; with alert rules
        (``Engine(alerts=...)``) the alerts are written as JSON Lines to
        ``alerts_out`` (default: ``output`` with ``.alerts.jsonl``) while the
        run goes; with ``store`` (a directory) the results are also kept as
        a Parquet result store (make the engine with ``keep_terms=True`` to
        store the terms that ``reclassify`` reads). The files are the CLI's,
        byte for byte: the run is the core's ``AnalyzeJob`` with these sinks.

        A long run can be killed and continued: every ``checkpoint_every``
        records the output, alerts and store are brought to a checkpoint
        (``STORE/.partial/checkpoint.json``, or ``OUTPUT.checkpoint.json``
        without a store); the same call with ``resume=True`` goes on from
        the last one and ends with the files an uninterrupted run writes
        (from the first record when there is no checkpoint).

        Returns the run summary as a dict (``records``, ``analyzed``,
        ``errors``, ``languages``, ...), with ``coded``, ``alerts`` and
        ``store`` counts when those ran.

        Raises:
            VocmineIOError: ``input`` cannot be read or ``output`` written.
            InputError: a bad record with ``strict=True`` (the lines before
                it are written).
        """
        return _json.loads(
            self._native.analyze_file_json(
                _os.fspath(input),
                _os.fspath(output),
                store=None if store is None else _os.fspath(store),
                alerts_out=None if alerts_out is None else _os.fspath(alerts_out),
                strict=strict,
                resume=resume,
                checkpoint_every=checkpoint_every,
            )
        )

    def cluster(
        self, data: Any, *, all_speakers: bool = False, level: str = "auto", **settings: Any
    ) -> dict:
        """Hot issues: clusters the customer clauses of ``data`` by meaning.

        ``data`` holds records as :meth:`analyze` takes them (dicts, JSON
        strings, plain texts). Each is analyzed with the model; its customer
        clauses (every speaker's with ``all_speakers=True``) are clustered
        across languages (the same issue in zh, ru and en lands in one
        cluster). Returns the report of ``vocmine cluster`` as a dict:
        ``summary`` (counts, outlier share, ``hottest``, ``emerging``,
        ``gaps``), ``clusters`` (label, labels and keywords per language,
        representatives, languages, sentiment mix, codes, hotness) and
        ``assignments`` (one ``{id, clause, cluster}`` per clause; ``cluster``
        is ``None`` for outliers).

        ``level``: what one item is — ``"clause"``; ``"record"`` (every text
        record whole, by its whole-text embedding); ``"auto"`` (the default:
        a text record of up to 4 clauses that reads as one issue, with no
        positive and negative clause together and no disjoint codes, is one
        item; the clauses of the others are items). Conversations are
        clustered by clause. The clauses of a record clustered whole share
        its cluster in ``assignments``.

        Build the engine with ``pos=True`` for the CLI's Chinese labels
        (nouns, verbs, adjectives only); the clusters do not depend on it.

        ``settings``: ``k`` (15), ``resolution`` (5.0), ``min_size`` (10),
        ``seed`` (42), ``outlier_iqr`` (3.0), ``center_languages`` (True),
        ``remove_principal`` (1: in one language and from 500 items up, the
        leading principal direction of the centred vectors is projected out),
        ``iterations`` (2), ``exact_limit`` (20000).

        Raises:
            ConfigError: the engine has no model, no clause could be
                clustered, ``level`` is unknown, or a setting is unknown or
                out of range.

        Example:
            >>> engine = Engine()                                   # doctest: +SKIP
            >>> r = engine.cluster(texts, min_size=5)               # doctest: +SKIP
            >>> [c["label"] for c in r["clusters"][:3]]              # doctest: +SKIP
        """
        records = _as_records(data)
        return _json.loads(
            _vocmine.cluster_records_json(
                self._native, records, _json.dumps(settings), all_speakers, level
            )
        )


def _gold_lines(gold: Any) -> list:
    lines = []
    for i, item in enumerate(_as_records(gold)):
        if not isinstance(item, dict):
            raise TypeError(f"gold items are dicts; item {i} is {type(item).__name__}")
        lines.append(_json.dumps(item, ensure_ascii=False))
    return lines


def read_gold(path: Any) -> list:
    """Reads gold texts: a JSON Lines gold file, or the labelled rows of a
    review sheet written by ``vocmine codebook review`` and filled by a
    researcher (``.csv``, ``.tsv``, ``.xlsx``; each labelled row is one text,
    id ``RECORD#CLAUSE``, rows with an empty ``codes`` cell are skipped).

    Returns a list of dicts ``{"id", "text", "language", "codes": [{"code",
    "point"}]}``, ready for :meth:`Engine.evaluate_codebook` and
    :meth:`Engine.learn_codebook`.

    Raises:
        ResourceError: a row or line is not valid (the message names the file
            and line).
        VocmineIOError: the file cannot be read.
    """
    return _json.loads(_vocmine.read_gold_json(_os.fspath(path)))


class Report:
    """A CX report (:func:`report`): one self-contained HTML page.

    ``html`` is the page; :meth:`save` writes it; in a notebook the report
    shows itself inline (in a frame of its own, so its script and styles
    stay apart from the notebook's).
    """

    def __init__(self, html: str) -> None:
        self.html = html

    def save(self, path: Any) -> None:
        """Writes the page to ``path`` (UTF-8)."""
        with open(_os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.html)

    def _repr_html_(self) -> str:
        import html as _html

        return (
            '<iframe style="width:100%;height:800px;border:1px solid #ccc" srcdoc="'
            + _html.escape(self.html, quote=True)
            + '"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Report({len(self.html)} characters of HTML)"


def report(
    data: Any,
    output: Any = None,
    *,
    title: str = "Voice of the customer",
    lang: str = "en",
    journey: Optional[Iterable[str]] = None,
    verbatims: int = 20,
    clusters: Any = None,
    compare: Optional[Iterable[str]] = None,
    keywords: int = 30,
) -> Report:
    """The CX report of analyzed records, as ``vocmine report`` writes it:
    overview (records by channel, language and week; NPS / CSAT / CES with
    95% intervals; negative share; pain / itch / delight), journey map by
    touchpoint (``journey`` gives the order), pain and itch points per
    owner, drivers of detractors, alerts with the triggering words, and a
    drill-down from every code, owner, touchpoint and week to the verbatims
    (at most ``verbatims`` per code). One HTML page that needs no network.
    With ``clusters`` (the path of ``vocmine cluster``'s JSON) it shows the
    hot issues; each ``compare`` split (``"FROM..TO,FROM..TO"``) adds a
    before/after section; ``keywords`` themes per language make the word
    clouds (0: none).

    ``data`` is a path (the output of ``vocmine analyze`` or a result
    store's directory) or analyzed records (dicts or JSON strings, as
    :meth:`Engine.analyze` returns them). ``lang`` is the language of the
    labels: ``"en"``, ``"zh"`` or ``"ru"``. With ``output`` (a path) the
    page is also written there.

    Raises:
        ConfigError: an unknown ``lang``.
        VocmineIOError: the input cannot be read.

    Example:
        >>> r = report("out/sample.analyzed.jsonl", "report.html", lang="zh")  # doctest: +SKIP
        >>> r                                  # in a notebook: the page itself   # doctest: +SKIP
    """
    page = _vocmine.report_html(
        **_analytics_source(data),
        title=title,
        lang=lang,
        journey=None if journey is None else list(journey),
        verbatims=verbatims,
        clusters=None if clusters is None else str(clusters),
        compare=None if compare is None else list(compare),
        keywords=keywords,
    )
    out = Report(page)
    if output is not None:
        out.save(output)
    return out


def read_store(path: Any, table: str = "records") -> Any:
    """Reads one table of a result store (``vocmine analyze --store DIR``,
    :meth:`Engine.analyze_file` with ``store=``, or ``vocmine.spark``) as a
    ``pyarrow.Table``: ``"records"`` (one row per input record, failures
    included: id, metadata, scores, sentiment, codes, the output line, the
    whole-text embedding) or ``"clauses"`` (one row per clause: spans, turn,
    role, language, text, sentiment, voice type, terms, embedding, codes,
    points). The core reads it as ``reclassify`` and ``cluster`` do: a table
    may be one file or a directory of part files (as Spark writes it), rows
    come in record order, and columns have the store's own types (Spark's
    signed integers and variable-length embeddings cast back).

    ``read_store(d).to_pandas()`` gives a DataFrame.

    Raises:
        VocmineIOError: the store or a file of it cannot be read.
        TableError: a file is not a store table (not Parquet, missing
            columns, overlapping part files).
        ConfigError: ``table`` is neither ``"records"`` nor ``"clauses"``.

    Example:
        >>> t = read_store("out/store", "clauses")          # doctest: +SKIP
        >>> t.num_rows, t.column("voice").to_pylist()[:3]    # doctest: +SKIP
        (1843, ['pain', 'neutral', 'delight'])
    """
    import pyarrow as pa

    return pa.ipc.open_stream(_vocmine.read_store_ipc(_os.fspath(path), table)).read_all()


def _frame_records(df: Any, text: str, id: Optional[str], columns: dict) -> list:
    """Builds one record dict per DataFrame row (NaN / None cells are absent)."""
    for field in columns:
        if field not in FRAME_FIELDS + _SCORE_FIELDS:
            raise TypeError(
                f"analyze_frame() got an unknown field {field!r}; "
                f"known: {', '.join(FRAME_FIELDS + _SCORE_FIELDS)}"
            )
    names = set(map(str, getattr(df, "columns", [])))
    if not hasattr(df, "columns") or not hasattr(df, "__len__"):
        raise TypeError(f"analyze_frame() takes a pandas DataFrame, got {type(df).__name__}")
    mapping: dict = {}
    # A `turns` column is used when present (a frame read from the CLI's
    # JSON Lines input has `text` for reviews and `turns` for conversations,
    # NaN in the other one); each row must then have exactly one of them.
    turns_col = columns.get("turns", "turns" if "turns" in names else None)
    if turns_col is None and text not in names:
        raise KeyError(f"the DataFrame has no text column {text!r} (columns: {sorted(names)})")
    if text in names:
        mapping["text"] = text
    for field in FRAME_FIELDS + _SCORE_FIELDS:
        col = columns.get(field, field if field in names else None)
        if col is None:
            continue
        if col not in names:
            raise KeyError(f"the DataFrame has no column {col!r} (for {field!r})")
        mapping[field] = col
    if id is not None and id in names:
        mapping["id"] = id
    cols = {field: df[col].tolist() for field, col in mapping.items()}
    n = len(df)
    records = []
    for i in range(n):
        r: dict = {}
        scores: dict = {}
        for field, values in cols.items():
            v = values[i]
            if _missing(v):
                continue
            if field in _SCORE_FIELDS:
                scores[field] = v
            else:
                r[field] = v
        if scores:
            r.setdefault("scores", {}).update(scores)
        records.append(r)
    return records


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and v != v:
        return True
    return type(v).__name__ in ("NAType", "NaTType")


_CATEGORIES = {
    "role": ["customer", "agent", "bot", "system", "other"],
    "sentiment_label": ["negative", "neutral", "positive"],
}
_INT_COLS = ("line", "clause", "start", "end")
_F32_COLS = ("sentiment_polarity", "sentiment_confidence")
_ORDER = [
    "id", "line", "turn", "speaker", "role", "clause", "start", "end", "text",
    "language", "script", "record_language", "sentiment_label",
    "sentiment_polarity", "sentiment_confidence",
]


def _joined(parts: list, name: str) -> Any:
    import numpy as np

    if name in _INT_COLS:
        arrays = [np.frombuffer(p[name], dtype=np.int64) for p in parts]
        return np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
    if name in _F32_COLS:
        arrays = [np.frombuffer(p[name], dtype=np.float32) for p in parts]
        return np.concatenate(arrays) if arrays else np.zeros(0, np.float32)
    out: list = []
    for p in parts:
        out.extend(p[name])
    return out


def _to_pandas(parts: list, present: list, errors: list) -> Any:
    import pandas as pd

    data: dict = {}
    for name in _ORDER + present:
        v = _joined(parts, name)
        if name in _INT_COLS:
            s = pd.Series(v, dtype="int64")
        elif name in _F32_COLS:
            s = pd.Series(v, dtype="float32")
        elif name == "turn":
            s = pd.Series(pd.array(v, dtype="Int64"))
        elif name == "id":
            s = pd.Series(v, dtype=object)
        elif name in _CATEGORIES:
            s = pd.Series(pd.Categorical(v, categories=_CATEGORIES[name]))
        elif name in ("language", "script", "record_language"):
            s = pd.Series(v, dtype="category")
        else:
            s = pd.Series(v, dtype="string")
        data[name] = s
    df = pd.DataFrame(data)
    df.attrs["errors"] = errors
    return df


def _to_arrow(parts: list, present: list, errors: list) -> Any:
    import pyarrow as pa

    ids = _joined(parts, "id")
    if all(isinstance(i, int) and not isinstance(i, bool) for i in ids) and ids:
        id_arr = pa.array(ids, type=pa.int64())
    else:
        id_arr = pa.array([str(i) for i in ids], type=pa.string())
    arrays: dict = {"id": id_arr}
    for name in _ORDER[1:] + present:
        v = _joined(parts, name)
        if name in _INT_COLS:
            arrays[name] = pa.array(v, type=pa.int64())
        elif name in _F32_COLS:
            import numpy as np

            arrays[name] = pa.array(v, type=pa.float32(), mask=np.isnan(v))
        elif name == "turn":
            arrays[name] = pa.array(v, type=pa.int64())
        elif name in _CATEGORIES or name in ("language", "script", "record_language"):
            arrays[name] = pa.array(v, type=pa.string()).dictionary_encode()
        else:
            arrays[name] = pa.array(v, type=pa.string())
    table = pa.table(arrays)
    return table.replace_schema_metadata({b"vocmine.errors": _json.dumps(errors, ensure_ascii=False).encode()})


_default_engine: Optional[Engine] = None
_default_lock = _threading.Lock()


def analyze(data: Any, *, strict: bool = False, progress: Progress = None) -> list:
    """Analyzes records with a default :class:`Engine` (built on first use).

    The default engine is ``Engine()``: it loads the model in
    ``$VOCMINE_MODEL`` or ``models/multilingual-e5-small`` (relative to the
    current directory) and raises :class:`ModelNotFoundError` when it is
    missing; build ``Engine(no_model=True)`` to run without it.

    Example:
        >>> vocmine.analyze("Great food, but we waited an hour")[0]["clauses"][1]["text"]  # doctest: +SKIP
        'but we waited an hour'
    """
    global _default_engine
    with _default_lock:
        if _default_engine is None:
            _default_engine = Engine()
    return _default_engine.analyze(data, strict=strict, progress=progress)


def _analytics_source(data: Any) -> dict:
    """``path=`` for a file name, else ``lines=``: the records (dicts or JSON
    strings, as ``Engine.analyze`` returns them) as JSON Lines."""
    if isinstance(data, (str, _os.PathLike)):
        return {"path": _os.fspath(data)}
    if isinstance(data, Mapping):
        data = [data]
    lines = []
    for rec in data:
        lines.append(rec if isinstance(rec, str) else _json.dumps(rec, ensure_ascii=False))
    return {"lines": "\n".join(lines)}


def metrics(
    data: Any,
    *,
    by: Union[str, Sequence[str], None] = ("channel", "touchpoint", "period"),
    period: str = "week",
    drivers: Optional[int] = None,
) -> dict:
    """NPS, CSAT and CES with counts and 95% intervals, overall and per
    slice, trends per period and (optionally) key drivers.

    Args:
        data: the output of ``vocmine analyze`` (a JSON Lines file name), or
            analyzed records (the dicts of :meth:`Engine.analyze`). Failure
            records are counted in ``input.failures`` and skipped.
        by: slices: ``channel``, ``touchpoint``, ``period``, ``owner``,
            ``code`` (or ``day``, ``week``, ``month``); a comma-separated
            string or a list.
        period: ``day``, ``week`` or ``month`` (the ``period`` slice and the
            trends).
        drivers: when given, key drivers of detractors and low CSAT for
            codes with at least this many answering records.

    Returns:
        The JSON of ``vocmine metrics --json`` as a dict: ``input``,
        ``overall``, ``slices``, ``trends`` and ``drivers``.

    Example:
        >>> m = vocmine.metrics([{"id": 1, "scores": {"nps": 10}}, {"id": 2, "scores": {"nps": 3}}], by=[])
        >>> m["overall"]["nps"]["nps"]
        0.0
    """
    if isinstance(by, str):
        by = [b.strip() for b in by.split(",") if b.strip()]
    out = _vocmine.metrics_json(
        by=None if by is None else list(by),
        period=period,
        drivers=drivers,
        **_analytics_source(data),
    )
    return _json.loads(out)


def compare(data: Any, before: str, after: str) -> dict:
    """Before/after comparison: each code's share and pain share, NPS, CSAT,
    CES and the negative share in two disjoint date ranges, with
    two-proportion z-tests (NPS: z-test of the difference; CES: Welch's
    t-test) and Benjamini–Hochberg q-values over the codes.

    Args:
        data: a JSON Lines file name or analyzed records (as :func:`metrics`).
        before, after: inclusive date ranges ``"FROM..TO"`` (either end may
            be open: ``"..2026-09-20"``, ``"2026-09-21.."``).

    Returns:
        The JSON of ``vocmine compare --json`` as a dict (``input``,
        ``before``, ``after``, ``changes``, ``codes`` …).

    Raises:
        ConfigError: a malformed or overlapping date range.
    """
    return _json.loads(_vocmine.compare_json(before, after, **_analytics_source(data)))


def cluster_embeddings(
    embeddings: Any, languages: Optional[Sequence[str]] = None, **settings: Any
) -> dict:
    """Clusters an embedding matrix (``[n, dim]``, e.g. from :meth:`Engine.embed`).

    Same method as ``vocmine cluster`` (kNN graph, Leiden, few outliers),
    deterministic for a ``seed``. ``languages`` (one code per row) turns on
    per-language centering so that the same issue in different languages
    lands in one cluster. Returns ``{"labels": [...], "stats": {...}}``:
    the cluster of every row (``None`` for outliers) and the counts and
    timings. ``settings`` as for :meth:`Engine.cluster`.

    Raises:
        ConfigError: bad shape or setting.
        DataError: ``languages`` of another length than the rows.

    Example:
        >>> import numpy as np
        >>> x = np.repeat(np.eye(3, dtype=np.float32), 20, axis=0) + 0.01
        >>> r = cluster_embeddings(x, k=5, min_size=5, resolution=1.0)
        >>> len(set(r["labels"]))
        3
    """
    import numpy as np

    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    if x.ndim != 2:
        raise ConfigError(f"embeddings must be a 2-D matrix, got shape {x.shape}")
    out = _vocmine.cluster_vectors_json(
        x.tobytes(),
        int(x.shape[1]),
        None if languages is None else [str(l) for l in languages],
        _json.dumps(settings),
    )
    return _json.loads(out)

