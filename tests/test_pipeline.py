"""End to end through Prefect and SeaweedFS: idempotent re-runs, cross-run duplicates, manifests that add
up, the reader, and the DuckDB/pandas example of docs/output.md. Few flow runs (each costs seconds)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from flows import output, reader
from flows.local_s3 import LocalS3Server
from flows.pipeline import clean_articles
from flows.storage import open_storage

from .conftest import s3_options

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"


def _vocabulary(seed: int = 7, size: int = 3000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice("abcdefghiklmnoprstuvwy") for _ in range(rng.randint(2, 9))) for _ in range(size)]


WORDS = _vocabulary()


def article(seed: int, paragraphs: int = 6) -> str:
    """A distinct synthetic article: its word shingles share nothing with another seed's."""
    rng = random.Random(seed)
    paras = []
    for _ in range(paragraphs):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
                     for _ in range(3)]
        paras.append(" ".join(sentences))
    return "\n\n".join(paras)


def edit(text: str, seed: int) -> str:
    """A syndicated copy: one sentence rewritten, the rest as published."""
    sentences = text.split(". ")
    sentences[seed % len(sentences)] = "An editor rewrote this sentence for the local edition"
    return ". ".join(sentences)


def record(doc_id: str, text: str, site: int) -> dict[str, Any]:
    return {"id": doc_id, "url": f"https://site{site}.example/{doc_id}", "title": f"Story {doc_id}",
            "text": f"Story {doc_id}\n\n{text}\n\nFollow Jane Doe on Twitter: @janedoe"}


def write_jsonl(path: Path, rows: list[dict[str, Any]], bad_lines: int = 0) -> Path:
    lines = [json.dumps(r) for r in rows] + ["{not json"] * bad_lines
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def first_corpus() -> list[dict[str, Any]]:
    rows = [record(f"a{i:03d}", article(i), i % 3) for i in range(30)]
    rows += [{"id": p.stem, "url": f"https://news{n}.example/{p.stem}", "text": p.read_text(encoding="utf-8")}
             for n, p in enumerate(sorted(EXAMPLES.glob("*.txt")))]
    rows.append(record("short", "Too short to keep.", 0))
    rows.append({**record("a000-copy", article(0), 1), "id": "a000-copy"})   # exact, other site
    rows.append(record("a001-edit", edit(article(1), 3), 2))               # near, within the run
    return rows


def second_corpus() -> list[dict[str, Any]]:
    rows = [record(f"b{i:03d}", article(1000 + i), i % 3) for i in range(6)]
    rows.append(record("b-copy-of-a005", article(5), 0))                   # exact dup of run 1
    rows.append(record("b-edit-of-a007", edit(article(7), 5), 1))          # near dup of run 1
    return rows
