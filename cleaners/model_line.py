"""The learned line classifier: two small logistic models over :mod:`cleaners.features`.

Stage 1 scores each line from its own and context features; stage 2 adds what stage 1 and the rule
catalogue said about the neighbours (boilerplate comes in clusters). Weights live in
``cleaners/data/line_model.json``, written by ``scripts/train_line_model.py`` (dev data only,
deterministic). Scores are the probability that a line is *content*.

Scoring runs on numpy arrays but keeps the exact floating-point result of the pure-Python definition
(``sum(map(mul, weights, row), bias)``): products are rounded one by one and summed strictly left to
right with ``np.add.accumulate`` (a sequential recurrence), never with ``dot``/``sum`` (which reorder),
and ``exp``/``log`` come from :mod:`math`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from operator import mul
from typing import Any

import numpy as np

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
        # sum() adds left to right from the bias, as a loop would (zero features add exact zeros)
        z = sum(map(mul, self.weights, row), self.bias)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def scores(self, rows: np.ndarray) -> list[float]:
        """``[self.score(r) for r in rows]`` for a 2-D float array, with bit-identical results."""
        # left to right from the bias, as sum() does: one vector add per feature over all rows (the same
        # additions in the same order as np.add.accumulate along each row, which took ~8x as long)
        z = np.full(len(rows), self.bias)
        for column in np.multiply(rows.T, self._w[:, None]):  # (width, n): feature k's terms, contiguous
            np.add(z, column, out=z)
        # the clamp (fmin/fmax: a NaN becomes 30.0, as min(30.0, nan) does), negation, 1 + e and 1 / (...)
        # are exact IEEE operations in numpy as in Python; only exp comes from math (numpy's may differ)
        neg = np.negative(np.fmax(np.fmin(z, 30.0), -30.0))
        e = np.array(list(map(math.exp, neg.tolist())))
        return (1.0 / (1.0 + e)).tolist()

    @cached_property
    def _w(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64)


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


def _logits(p: np.ndarray) -> list[float]:
    """``[_logit(x) for x in p]``: the clamp and ``p / (1 - p)`` are exact in numpy, ``log`` from math."""
    q = np.minimum(np.maximum(p, 1e-4), 1 - 1e-4)
    return list(map(math.log, (q / (1 - q)).tolist()))


def stage2_rows(
    rows: Sequence[Sequence[float]], p1: Sequence[float], ruled: Sequence[bool]
) -> list[list[float]]:
    """Stage-2 inputs: each row plus the stage-1 scores and rule hits of its neighbours."""
    if not rows:
        return []
    return _stage2_matrix(np.asarray(rows, dtype=np.float64).reshape(len(rows), -1), p1, ruled).tolist()


def _with_stage2_columns(rows: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` followed by room for the stage-2 columns (the output, and a view of that room), the first
    of them (the stage-1 logit) filled in."""
    out = np.empty((len(rows), rows.shape[1] + len(STAGE2_NAMES)))
    out[:, : rows.shape[1]] = rows
    extra = out[:, rows.shape[1]:]
    extra[:, 0] = _logits(p)
    return out, extra


def _stage2_matrix(rows: np.ndarray, p1: Sequence[float], ruled: Sequence[bool]) -> np.ndarray:
    """:func:`stage2_rows` as an array, the same floats: neighbour sums add the same terms in the same
    order (missing neighbours at the ends add exact zeros before or after them)."""
    n = len(rows)
    p = np.asarray(p1, dtype=np.float64)
    r = np.asarray(ruled, dtype=np.int64)
    out, extra = _with_stage2_columns(rows, p)
    pad = np.zeros(n + 4)
    pad[2:-2] = p
    extra[:, 1] = pad[1:-3] if n > 1 else 0.5
    extra[:, 2] = pad[3:-1] if n > 1 else 0.5
    if n > 1:
        extra[:, 1][0] = 0.5
        extra[:, 2][-1] = 0.5
    # window j-2..j+2 without j, summed in index order; absent neighbours add 0.0
    total = ((pad[0:-4] + pad[1:-3]) + pad[3:-1]) + pad[4:]
    j = np.arange(n)
    count = np.minimum(n, j + 3) - np.maximum(0, j - 2) - 1
    inf = np.full(n + 4, np.inf)
    inf[2:-2] = p
    low = np.minimum(np.minimum(inf[0:-4], inf[1:-3]), np.minimum(inf[3:-1], inf[4:]))
    if n > 1:
        extra[:, 3] = total / count
        extra[:, 4] = low
    else:
        extra[:, 3] = 0.5
        extra[:, 4] = 0.5
    rpad = np.zeros(n + 6, dtype=np.int64)
    rpad[3:-3] = r
    extra[:, 5] = rpad[2:-4]
    extra[:, 6] = rpad[4:-2]
    hits = rpad[0:-6] + rpad[1:-5] + rpad[2:-4] + rpad[4:-2] + rpad[5:-1] + rpad[6:]
    rcount = np.minimum(n, j + 4) - np.maximum(0, j - 3) - 1
    extra[:, 7] = hits / np.maximum(rcount, 1)
    return out


def _stage2_stacked(rows: np.ndarray, p1: Sequence[float], ruled: Sequence[bool], sizes: Sequence[int]) -> np.ndarray:
    """:func:`_stage2_matrix` of several documents' rows stacked (``sizes[d]`` rows each, none 0):
    neighbours are taken within each document, so every row equals the one its document alone gives
    (the same terms added in the same order; ~25 more NumPy calls than one document's)."""
    total_rows = len(rows)
    size = np.array(sizes, dtype=np.int64)
    doc_start = np.zeros(len(size), dtype=np.int64)
    np.cumsum(size[:-1], out=doc_start[1:])
    doc_of = np.repeat(np.arange(len(size)), size)
    n = size[doc_of]
    j = np.arange(total_rows) - doc_start[doc_of]
    p = np.asarray(p1, dtype=np.float64)
    r = np.asarray(ruled, dtype=np.int64)
    out, extra = _with_stage2_columns(rows, p)

    def near(values: np.ndarray, k: int, fill: float) -> np.ndarray:
        """The neighbour at offset ``k`` of each row; ``fill`` where it lies outside the row's document."""
        pad = np.full(total_rows + 6, fill, dtype=values.dtype)
        pad[3:-3] = values
        return np.where((j + k >= 0) & (j + k < n), pad[3 + k: 3 + k + total_rows], fill)

    prev, nxt = near(p, -1, 0.0), near(p, 1, 0.0)
    single = n == 1
    extra[:, 1] = np.where(j == 0, 0.5, prev)
    extra[:, 2] = np.where(j == n - 1, 0.5, nxt)
    # window j-2..j+2 without j, summed in index order; absent neighbours add 0.0
    total = ((near(p, -2, 0.0) + prev) + nxt) + near(p, 2, 0.0)
    count = np.minimum(n, j + 3) - np.maximum(0, j - 2) - 1
    inf = np.inf
    low = np.minimum(np.minimum(near(p, -2, inf), near(p, -1, inf)), np.minimum(near(p, 1, inf), near(p, 2, inf)))
    extra[:, 3] = np.where(single, 0.5, total / np.maximum(count, 1))
    extra[:, 4] = np.where(single, 0.5, low)
    r_prev, r_next = near(r, -1, 0), near(r, 1, 0)
    extra[:, 5] = r_prev
    extra[:, 6] = r_next
    hits = near(r, -3, 0) + near(r, -2, 0) + r_prev + r_next + near(r, 2, 0) + near(r, 3, 0)
    rcount = np.minimum(n, j + 4) - np.maximum(0, j - 3) - 1
    extra[:, 7] = hits / np.maximum(rcount, 1)
    return out


def predict(
    model: LineModel, rows: Sequence[Sequence[float]] | np.ndarray, ruled: Sequence[bool], *,
    skip_ruled: bool = False, sizes: Sequence[int] | None = None,
) -> list[float]:
    """Probability of being content, per feature row.

    ``skip_ruled``: lines a rule already removed get 0.0 without a stage-2 score (stage 1 still runs
    on them, their neighbours need it). ``sizes``: the rows are several documents stacked (see
    :func:`cleaners.feature_matrix.feature_matrices`); each row scores as in its document alone.
    """
    width = len(model.stage1.weights)
    if not isinstance(rows, np.ndarray) and any(len(r) != width for r in rows):
        raise ValueError(f"feature rows must have {width} values")
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), width)
    if not len(matrix):
        return []
    if sizes is not None:
        sizes = [s for s in sizes if s]
        if sum(sizes) != len(matrix):
            raise ValueError("sizes must add up to the number of rows")
    p1 = model.stage1.scores(matrix)
    if sizes is not None and len(sizes) > 1:
        s2 = model.stage2.scores(_stage2_stacked(matrix, p1, ruled, sizes))
    else:
        s2 = model.stage2.scores(_stage2_matrix(matrix, p1, ruled))
    return [0.0 if skip_ruled and hit else p for p, hit in zip(s2, ruled, strict=True)]


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
