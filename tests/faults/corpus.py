"""A small generated corpus: articles from a few sites with shared boilerplate, short ones and broken lines."""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = [
    "council", "budget", "ferry", "storm", "transit", "union", "school", "lunch", "harbor", "bridge", "vote",
    "mayor", "river", "road", "county", "court", "market", "rain", "summer", "teacher", "library", "plan",
]
BOILERPLATE = ["Subscribe to our newsletter", "Follow us on Twitter for updates", "Have a tip we should know?"]


def article(rng: random.Random, n: int) -> str:
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 20))).capitalize() + f" ({n}-{i})."
        for i in range(rng.randint(4, 9))
    ]
    return "\n\n".join([f"Headline number {n}", *sentences, rng.choice(BOILERPLATE)])


def make_corpus(folder: Path, n_docs: int, seed: int = 9) -> set[str]:
    """Write ``n_docs`` inputs into ``folder`` (JSONL files and .txt files); return the ids a run must account for.

    About one in twenty is too short (rejected) and one in forty is a broken JSON line (quarantined)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids: set[str] = set()
    lines: list[str] = []
    for n in range(n_docs):
        if n % 10 == 9:  # every tenth as a plain-text file
            (folder / f"doc-{n:05d}.txt").write_text(article(rng, n), encoding="utf-8")
            ids.add(f"doc-{n:05d}")
            continue
        if n % 40 == 17:
            lines.append(f'{{"id": "broken-{n}", "text": "unterminated')
            ids.add(f"feed:{len(lines)}")  # a bad line is quarantined under file:line
            continue
        text = "Too short." if n % 20 == 3 else article(rng, n)
        lines.append(json.dumps({"id": f"doc-{n:05d}", "url": f"https://site{n % 3}.example/a/{n}", "text": text}))
        ids.add(f"doc-{n:05d}")
    (folder / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids
