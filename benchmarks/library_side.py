"""The presswash library half of bench_datatrove.py (and the single-process baseline of bench_flow.py).

    python -m benchmarks.library_side INPUT(.jsonl file or directory of them) OUTPUT.jsonl.gz

Reads JSONL records {id, url, text}, cleans them with ``cleaners.clean_documents`` in this one process and
writes one gzipped JSON line per document. JSON is read and written with orjson, as datatrove's JsonlReader
and JsonlWriter do (the ``json`` module only for what orjson refuses). Prints one JSON line with timings.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

import cleaners
from cleaners import Document


def read_documents(path: Path) -> Iterator[Document]:
    files = [path] if path.is_file() else sorted(path.glob("*.jsonl"))
    for file in files:
        with file.open("rb") as f:
            for line in f:
                r = orjson.loads(line)
                yield Document(id=r["id"], text=r["text"], url=r.get("url"))


def json_line(record: dict[str, Any]) -> bytes:
    """One JSON line; ``json`` writes what orjson refuses (a lone surrogate in a text)."""
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")


def main(src: str, dest: str) -> None:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    docs = list(read_documents(Path(src)))  # clean_documents needs every document twice (site statistics)
    read_s = time.perf_counter() - wall0
    clean_s = 0.0
    written = 0
    with gzip.open(dest, "wb") as out:
        t = time.perf_counter()
        for result in cleaners.clean_documents(docs):
            clean_s += time.perf_counter() - t
            record = {"id": result.id, "url": result.url, "text": result.text,
                      "rejected": result.rejected.code if result.rejected else None,
                      "removed": [r.rule_id for r in result.removed]}
            out.write(json_line(record))
            written += 1
            t = time.perf_counter()
    print(json.dumps({
        "wall_s": time.perf_counter() - wall0, "cpu_s": time.process_time() - cpu0, "read_s": read_s,
        "clean_s": clean_s, "docs": written, "bytes": sum(len(d.text.encode()) for d in docs if d.text),
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
