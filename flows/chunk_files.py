"""Files the statistics pass leaves for the cleaning pass of the same chunk of a batch (worker processes):
the encoding repairs it made (JSON, ``chunk_file``) and the keys of the short lines it counted (``keys_file``).

Repairs: by digest of the original text, a repaired text with its steps, or null ("needs no repair").

Line keys: the statistics pass keys every short line of every document (``SiteLineStats.add_keyed``); the
cleaning pass needs the same keys twice, for the spellings of the learned lines (the run report's samples)
and for the site rule. Instead of keying every line again (``add_samples``: ~0.1 ms per document), the
cleaning pass of the chunk reads, by digest of each document's text, the positions and keys of its short
lines (``sitewide.keyed_samples``). A document whose keys are missing (no file, another text or config) is
keyed as before. Both kinds of file are only hints: read once, removed, and the results do not depend on
them. No pyarrow here.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path

from cleaners import Config
from cleaners.sitewide import LineKey

Repair = tuple[str, list[str]]
Repairs = Mapping[str, Repair | None] | Path | tuple[Path, ...] | None
"""Repairs to reuse: in memory; the ``repairs_to`` path given to ``gather`` (all of its chunk files); or
chunk files (``chunk_file``) themselves. Files are read once and removed. None for a digest: the text
needs no repair (what the files hold for most texts, instead of a copy of the text)."""


def chunk_file(repairs_to: Path, chunk: int) -> Path:
    """The file of ``gather(..., repairs_to)`` holding the repairs of the documents of chunk ``chunk``."""
    return repairs_to.with_name(f"{repairs_to.name}.{chunk}")


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def repairs_files(repairs: Repairs) -> tuple[Path, ...] | list[Path]:
    """The chunk files of ``repairs`` (none when in memory)."""
    if repairs is None or isinstance(repairs, Mapping):
        return ()
    return repairs if isinstance(repairs, tuple) else _chunk_files(repairs)


def load_repairs(repairs: Repairs, keep_file: bool = False) -> Mapping[str, Repair | None] | None:
    """The repairs in memory; ``keep_file`` keeps the files read (tests)."""
    if repairs is None or isinstance(repairs, Mapping):
        return repairs
    files = repairs_files(repairs)
    loaded: dict[str, Repair | None] = {}
    for file in files:
        try:
            part = json.loads(file.read_text(encoding="ascii"))
        except FileNotFoundError:  # the statistics pass had none (or ran elsewhere): only a hint
            continue
        if not keep_file:
            file.unlink()
        loaded.update((digest, None if repair is None else (repair[0], list(repair[1])))
                      for digest, repair in part.items())
    return loaded or None


def _chunk_files(repairs_to: Path) -> list[Path]:
    """Every chunk file of ``repairs_to`` there is."""
    return sorted(repairs_to.parent.glob(f"{repairs_to.name}.*"), key=lambda f: int(f.suffix[1:]))


Keyed = tuple[bytes, bytes]
"""The positions (uint32) in ``text.splitlines()`` and the keys (uint64) of a text's short lines."""


_AT = array("I").itemsize
"""Bytes per position (``array("I")``; keys are ``array("Q")``: 8)."""


def keys_file(repairs_file: Path) -> Path:
    """Where the line keys of the chunk whose repairs go to ``repairs_file`` are kept (a name that the
    repairs files' pattern ``NAME.*`` does not match)."""
    return repairs_file.with_name(f"keys-{repairs_file.name}")


def keyed(at: list[int], keys: list[LineKey]) -> Keyed:
    return array("I", at).tobytes(), array("Q", keys).tobytes()


def write_keys(path: Path, config: Config, part: dict[str, Keyed]) -> None:
    """``part`` (by digest of the original text) as keyed under ``config``: a JSON line (the config, each
    digest with its number of short lines), then every document's positions, then every document's keys."""
    header = {"config": config.to_dict(), "docs": [[digest, len(keys) // 8] for digest, (_, keys) in part.items()]}
    with path.open("wb") as f:
        f.write(json.dumps(header).encode("ascii") + b"\n")  # escaped: no line break inside
        f.writelines(at for at, _ in part.values())
        f.writelines(keys for _, keys in part.values())


def load_keys(files: Iterable[Path], config: Config) -> dict[str, Keyed]:
    """The keys in these files made under ``config`` (which decides the plain texts and which lines are
    short); missing files are skipped (only a hint); each file is removed once read."""
    loaded: dict[str, Keyed] = {}
    want = json.loads(json.dumps(config.to_dict()))
    for file in files:
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            continue
        file.unlink()
        end = data.index(b"\n")
        header = json.loads(data[:end])
        if header["config"] != want:
            continue
        at = end + 1
        keys = at + _AT * sum(n for _, n in header["docs"])
        for digest, n in header["docs"]:
            loaded[digest] = (data[at:at + _AT * n], data[keys:keys + 8 * n])
            at, keys = at + _AT * n, keys + 8 * n
    return loaded


def unpack_keys(found: Keyed) -> tuple[list[int], list[LineKey]]:
    at, keys = array("I"), array("Q")
    at.frombytes(found[0])
    keys.frombytes(found[1])
    return at.tolist(), keys.tolist()
