"""The learned line classifier: two small logistic models over :mod:`cleaners.features`, pure Python.

Stage 1 scores each line from its own and context features; stage 2 adds what stage 1 and the rule
catalogue said about the neighbours (boilerplate comes in clusters). Weights live in
``cleaners/data/line_model.json``, written by ``scripts/train_line_model.py`` (dev data only,
deterministic). Scores are the probability that a line is *content*.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

MODEL_FILE = "line_model.json"
STAGE2_NAMES = ("s1_logit", "s1_prev", "s1_next", "s1_window", "s1_min_near", "rule_prev", "rule_next",
                "rule_window")


@dataclass(frozen=True)
class Linear:
    """A logistic model folded to raw features: ``sigmoid(bias + sum(w * x))``."""

    weights: tuple[float, ...]
    bias: float

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Linear:
        w = [float(x) for x in data["weights"]]  # type: ignore[attr-defined]
        mean = [float(x) for x in data["mean"]]  # type: ignore[attr-defined]
        scale = [float(x) for x in data["scale"]]  # type: ignore[attr-defined]
        folded = tuple(wi / si for wi, si in zip(w, scale, strict=True))
        bias = float(data["bias"]) - sum(f * m for f, m in zip(folded, mean, strict=True))  # type: ignore[arg-type]
        return cls(folded, bias)

    def score(self, row: Sequence[float]) -> float:
        z = self.bias
        for w, x in zip(self.weights, row, strict=True):
            if x:
                z += w * x
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class LineModel:
    stage1: Linear
    stage2: Linear
    threshold: float
    """Lines scoring below this are boilerplate."""
    names: tuple[str, ...]


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def stage2_rows(
    rows: Sequence[Sequence[float]], p1: Sequence[float], ruled: Sequence[bool]
) -> list[list[float]]:
    """Stage-2 inputs: each row plus the stage-1 scores and rule hits of its neighbours."""
    n = len(rows)
    out: list[list[float]] = []
    for j, row in enumerate(rows):
        prev = p1[j - 1] if j > 0 else 0.5
        nxt = p1[j + 1] if j + 1 < n else 0.5
        lo, hi = max(0, j - 2), min(n, j + 3)
        others = [p1[m] for m in range(lo, hi) if m != j] or [0.5]
        rules = [ruled[m] for m in range(max(0, j - 3), min(n, j + 4)) if m != j] or [False]
        out.append([
            *row,
            _logit(p1[j]),
            prev,
            nxt,
            sum(others) / len(others),
            min(others),
            float(j > 0 and ruled[j - 1]),
            float(j + 1 < n and ruled[j + 1]),
            sum(rules) / len(rules),
        ])
    return out


def predict(model: LineModel, rows: Sequence[Sequence[float]], ruled: Sequence[bool]) -> list[float]:
    """Probability of being content, per feature row."""
    p1 = [model.stage1.score(r) for r in rows]
    return [model.stage2.score(r) for r in stage2_rows(rows, p1, ruled)]


def model_from_json(data: dict[str, Any]) -> LineModel:
    return LineModel(
        Linear.from_json(data["stage1"]),
        Linear.from_json(data["stage2"]),
        float(data["threshold"]),
        tuple(data["names"]),
    )


@lru_cache(maxsize=8)
def load_model(name: str = MODEL_FILE) -> LineModel | None:
    """A weights file shipped in ``cleaners/data``, or None when absent (rules alone then decide)."""
    path = resources.files("cleaners") / "data" / name
    if not path.is_file():
        return None
    return model_from_json(json.loads(path.read_text(encoding="utf-8")))
