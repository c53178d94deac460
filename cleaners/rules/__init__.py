"""The rule catalogue: boilerplate knowledge as data (``*.toml`` beside this file), loaded once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

Zone = Literal["any", "head", "tail"]
_KINDS = {"line-regex", "section-start"}
"""``section-start``: a matching line after most of the article opens a boilerplate section to the end."""
_ZONES = {"any", "head", "tail"}


@dataclass(frozen=True)
class Rule:
    """One catalogue entry. ``pattern`` is matched case-insensitively against the whole stripped line."""

    id: str
    kind: str
    pattern: str
    description: str
    examples: tuple[str, ...]
    counterexamples: tuple[str, ...]
    zone: Zone = "any"
    """``tail``/``head``: only applies in the boilerplate zone at the end/start of a document."""
    max_words: int = 40
    """Lines longer than this never match (a safety net against over-broad patterns)."""
    risky: bool = False
    """Risky rules are undone by the over-removal guard."""
    source_file: str = ""

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.pattern)

    def matches_line(self, line: str) -> bool:
        """Does the line look like this rule's boilerplate, wherever it stands?"""
        stripped = line.strip()
        if not stripped or len(stripped.split()) > self.max_words:
            return False
        return self.regex.search(stripped) is not None


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


def _parse(raw: dict[str, object], source_file: str) -> Rule:
    missing = {"id", "kind", "pattern", "description", "examples", "counterexamples"} - set(raw)
    if missing:
        raise ValueError(f"{source_file}: rule {raw.get('id', '?')} lacks {sorted(missing)}")
    rule = Rule(
        id=str(raw["id"]),
        kind=str(raw["kind"]),
        pattern=str(raw["pattern"]),
        description=str(raw["description"]),
        examples=tuple(raw["examples"]),  # type: ignore[arg-type]
        counterexamples=tuple(raw["counterexamples"]),  # type: ignore[arg-type]
        zone=raw.get("zone", "any"),  # type: ignore[arg-type]
        max_words=int(raw.get("max_words", 40)),  # type: ignore[call-overload]
        risky=bool(raw.get("risky", False)),
        source_file=source_file,
    )
    if rule.kind not in _KINDS:
        raise ValueError(f"{source_file}: rule {rule.id} has unknown kind {rule.kind!r}")
    if rule.zone not in _ZONES:
        raise ValueError(f"{source_file}: rule {rule.id} has unknown zone {rule.zone!r}")
    if not rule.examples or not rule.counterexamples:
        raise ValueError(f"{source_file}: rule {rule.id} needs examples and counterexamples")
    _compile(rule.pattern)
    return rule


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    """All rules of every ``*.toml`` file in this package, in file then declaration order."""
    rules: list[Rule] = []
    folder = resources.files(__name__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            rules.extend(_parse(raw, entry.name) for raw in data.get("rule", []))
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate rule ids: {sorted(dupes)}")
    return tuple(rules)


def rules_by_id() -> dict[str, Rule]:
    return {r.id: r for r in load_rules()}
