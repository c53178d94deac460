"""Dev benchmark access shared by ``benchmarks/eval.py`` and ``scripts/train_line_model.py``.

The metric is never copied: ``score.py`` is imported from the bench dir (``PRESSWASH_BENCH_DIR``, default
``../shared/bench`` beside the repo root).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEXT_BENCHES = ("scrapinghub_text", "trafilatura_text")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")

Record = dict[str, Any]


def bench_dir() -> Path:
    """$PRESSWASH_BENCH_DIR, else ``../shared/bench`` beside the repo root (or beside one of its
    parents, for a git worktree nested one level deeper)."""
    if env := os.environ.get("PRESSWASH_BENCH_DIR"):
        return Path(env)
    for parent in ROOT.parents:
        if (parent / "shared" / "bench").is_dir():
            return parent / "shared" / "bench"
    return ROOT.parent / "shared" / "bench"


def bench_path(name: str) -> Path:
    return bench_dir() / "data" / f"{name}.jsonl.gz"


def load_score_module(directory: Path | None = None) -> ModuleType:
    """The benchmark's own ``score.py`` (so the metric is exactly the published one)."""
    path = (directory or bench_dir()) / "score.py"
    spec = importlib.util.spec_from_file_location("presswash_bench_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_records(path: Path) -> list[Record]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_records(name: str) -> list[Record]:
    return read_records(bench_path(name))


def gold_as_input(records: Iterable[Record]) -> list[Record]:
    """Clean articles fed back in: the gold text is the input and the expected output."""
    return [{**r, "raw_text": r["gold_text"]} for r in records if "gold_text" in r]


def page_half(record: Record) -> int:
    """A fixed split of pages into two halves (by id hash) for page-level cross-validation."""
    import hashlib

    return hashlib.blake2b(str(record["id"]).encode(), digest_size=2).digest()[0] & 1


def norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def line_labeller(record: Record) -> Callable[[str], float | None]:
    """A function giving, for one line of ``raw_text``, 1.0 (article), 0.0 (boilerplate) or None (unknown).

    ``gold_text`` records: share of the line's 4-gram shingles found in the gold text (short lines: is
    the token sequence in the gold text). ``with``/``without`` records: lines holding a snippet.
    """
    if "gold_text" in record:
        toks = _TOKEN.findall(record["gold_text"])
        gold4 = {tuple(toks[i : i + 4]) for i in range(len(toks) - 3)}
        joined = " " + " ".join(toks) + " "

        def by_gold(line: str) -> float | None:
            lt = _TOKEN.findall(line)
            if not lt:
                return None
            if len(lt) < 4:
                return 1.0 if (" " + " ".join(lt) + " ") in joined else 0.0
            sh = [tuple(lt[i : i + 4]) for i in range(len(lt) - 3)]
            return sum(s in gold4 for s in sh) / len(sh)

        return by_gold
    with_ = [norm(s) for s in record.get("with", [])]
    without = [norm(s) for s in record.get("without", [])]

    def by_snippet(line: str) -> float | None:
        n = norm(line)
        if any(s and s in n for s in with_):
            return 1.0
        if any(s and s in n for s in without):
            return 0.0
        return None

    return by_snippet


def in_gold(record: Record) -> Callable[[str], bool]:
    """Does a removed line belong to the article (occurs in gold_text / holds a 'with' snippet)?"""
    if "gold_text" in record:
        gold = norm(record["gold_text"])
        return lambda line: norm(line) in gold
    label = line_labeller(record)
    return lambda line: label(line) == 1.0
