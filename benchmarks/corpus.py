"""A reproducible corpus of news-like documents for the benchmarks.

Built from the dev benchmark texts (``raw_text`` of ../shared/bench/data/*_text.jsonl.gz) and the example
articles in examples/articles; when ../shared/bench is absent it falls back to the examples alone (and
says so).

Document ``i`` is a copy of base text ``i % len(bases)``, so every base appears about equally often. Copies
are made distinct the way articles of one site are: in every line of 8 words or more one middle word is
replaced by a word drawn from the corpus vocabulary (short lines such as "Advertisement" or "Share this"
stay identical, so a site's repeated lines are still learned as boilerplate); each copy keeps its base's
URL host. A share of the documents (``mojibake_share``) gets mojibake: the text is encoded as UTF-8 and
decoded as windows-1252, the most common real-world damage, which ftfy repairs. One seed drives it all:
same arguments, same bytes.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT.parent / "shared" / "bench"
EXAMPLES = ROOT / "examples" / "articles"
CACHE = ROOT / ".bench"
CORPUS_VERSION = 1


def bench_dir() -> Path:
    import os

    return Path(os.environ.get("PRESSWASH_BENCH_DIR", BENCH_DIR))


def base_texts(warn: bool = True) -> list[tuple[str, str]]:
    """(url, text) of every base document, in a fixed order."""
    bases: list[tuple[str, str]] = []
    data = bench_dir() / "data"
    files = sorted(data.glob("*_text.jsonl.gz")) if data.is_dir() else []
    if not files and warn:
        print(f"NOTE: dev benchmark texts not found under {data}; building the corpus from "
              f"{EXAMPLES} only (figures are less representative)", file=sys.stderr)
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if record.get("raw_text"):
                    bases.append((record.get("url") or f"https://{path.stem}.example/{record['id']}",
                                  record["raw_text"]))
    for path in sorted(EXAMPLES.glob("*.txt")):
        bases.append((f"https://examples.presswash.invalid/{path.stem}", path.read_text(encoding="utf-8")))
    if not bases:
        raise SystemExit(f"no base texts: neither {data} nor {EXAMPLES} has any")
    return bases


def mojibake(text: str) -> str:
    """UTF-8 bytes read as windows-1252 (its undefined bytes map to the same code point, as browsers do)."""
    raw = text.encode("utf-8")
    out = []
    for b in raw:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def _vary(text: str, rng: random.Random, vocab: list[str]) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        words = line.split(" ")
        if len(words) >= 8:
            j = rng.randrange(1, len(words) - 1)
            words[j] = rng.choice(vocab)
            lines[i] = " ".join(words)
    return "\n".join(lines)


def generate(n: int, seed: int = 8, mojibake_share: float = 0.1) -> Iterator[dict[str, str]]:
    """``n`` records {"id", "url", "text"}, deterministic for (n, seed, mojibake_share, base texts)."""
    bases = base_texts()
    vocab = sorted({w for _, t in bases for w in t.split() if w.isalpha() and 3 <= len(w) <= 12})
    rng = random.Random(seed)
    for i in range(n):
        url, text = bases[i % len(bases)]
        if i >= len(bases):
            text = _vary(text, rng, vocab)
        if rng.random() < mojibake_share:
            text = mojibake(text)
        sep = "&" if "?" in url else "?"
        yield {"id": f"doc-{i:07d}", "url": f"{url}{sep}copy={i // len(bases)}", "text": text}


def corpus_file(n: int, seed: int = 8, mojibake_share: float = 0.1) -> Path:
    """The corpus as JSONL under .bench/, built once per (n, seed, share, version) and reused."""
    tag = "dev" if (bench_dir() / "data").is_dir() else "examples"
    path = CACHE / f"corpus-{tag}-v{CORPUS_VERSION}-n{n}-s{seed}-m{int(mojibake_share * 100)}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for record in generate(n, seed, mojibake_share):
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        tmp.replace(path)
    return path


def corpus_dir(n: int, seed: int = 8, mojibake_share: float = 0.1, shard: int = 2_000) -> Path:
    """The same corpus as ``corpus_file`` split into JSONL files of ``shard`` documents (what a crawl
    delivers, and what lets a reader stream), under .bench/, built once and reused."""
    tag = "dev" if (bench_dir() / "data").is_dir() else "examples"
    path = CACHE / f"corpus-{tag}-v{CORPUS_VERSION}-n{n}-s{seed}-m{int(mojibake_share * 100)}-shards"
    if not (path / "DONE").exists():
        path.mkdir(parents=True, exist_ok=True)
        out = None
        for i, record in enumerate(generate(n, seed, mojibake_share)):
            if i % shard == 0:
                if out is not None:
                    out.close()
                out = (path / f"part-{i // shard:05d}.jsonl").open("w", encoding="utf-8")
            assert out is not None
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if out is not None:
            out.close()
        (path / "DONE").write_text(str(n))
    return path


def iter_records(path: Path) -> Iterator[dict[str, str]]:
    """Records of a corpus file or shard directory, in order."""
    files = [path] if path.is_file() else sorted(path.glob("*.jsonl"))
    for file in files:
        with file.open(encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


if __name__ == "__main__":
    print(corpus_file(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
