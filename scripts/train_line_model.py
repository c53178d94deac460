#!/usr/bin/env python3
"""Train the line classifier shipped in ``cleaners/data/line_model.json`` from the dev benchmarks only.

    PYTHONPATH=. python scripts/train_line_model.py            # full dev model + the two half models
    PYTHONPATH=. python scripts/train_line_model.py --report   # also print per-half cross-validated F1

Labels per line: share of its 4-gram shingles in ``gold_text`` (scrapinghub), or 1/0 for lines holding
a ``with``/``without`` snippet (trafilatura; other lines unlabelled). Lines the rule catalogue already
removes are left out. Two L2-regularised logistic models are fitted by Newton's method (numpy,
deterministic): stage 1 on line and context features, stage 2 adding neighbours' stage-1 scores (taken
out-of-fold) and rule hits. The threshold maximises mean F1 of the training pages. Half models
(``line_model.cv0.json`` trained on half 1 and meant for half 0, and vice versa) let ``make eval``
report page-level cross-validated figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from benchdata import (  # noqa: E402
    Record,
    gold_as_input,
    line_labeller,
    load_records,
    load_score_module,
    page_half,
)

from cleaners import DEFAULT_CONFIG  # noqa: E402
from cleaners.classify import _zone, catalogue, section_start  # noqa: E402
from cleaners.encoding import repair_text  # noqa: E402
from cleaners.features import NAMES, document_features  # noqa: E402
from cleaners.model_line import STAGE2_NAMES, model_from_json, predict, stage2_rows  # noqa: E402
from cleaners.text import split_lines  # noqa: E402

DATA = ROOT / "cleaners" / "data"
LOG_WORDS = NAMES.index("log_words")
L2 = 10.0
SNIPPET_WEIGHT = 3.0
BENCHES = ("scrapinghub_text", "trafilatura_text", "gold_as_input")
GOLD_OBJECTIVE_WEIGHT = 0.5
"""Weight of the clean-input recall in the threshold objective, beside the two F1 figures."""


@dataclass
class Page:
    record: Record
    bench: str
    lines: list[str]
    index: list[int]
    rows: list[list[float]]
    ruled: list[bool]
    labels: list[float | None]


def prepare(record: Record, bench: str) -> Page:
    lines = split_lines(repair_text(record["raw_text"], DEFAULT_CONFIG)[0])
    index, rows, infos = document_features(lines)
    prose = [j for j, info in enumerate(infos) if info.prose]
    first, last = (prose[0], prose[-1]) if prose else (len(infos), -1)
    cat = catalogue(DEFAULT_CONFIG.disabled_rules)
    section = section_start(cat, infos, DEFAULT_CONFIG.section_min_prose_words)
    cut = section[0] if section else len(infos)
    ruled = [
        j >= cut or cat.match(info.text, len(info.text.split()), _zone(j, first, last)) is not None
        for j, info in enumerate(infos)
    ]
    label = line_labeller(record)
    return Page(record, bench, lines, index, rows, ruled, [label(info.text) for info in infos])


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, list[float] | float]:
    """Weighted L2 logistic regression on standardised features (Newton's method, fixed iterations)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    beta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], L2)
    reg[0] = 0.0
    for _ in range(30):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (w * (p - y)) + reg * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return {"weights": beta[1:].round(6).tolist(), "bias": round(float(beta[0]), 6),
            "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist()}


def training_rows(pages: list[Page], rows_of: list[list[list[float]]]) -> tuple[np.ndarray, ...]:
    xs, ys, ws = [], [], []
    for page, rows in zip(pages, rows_of, strict=True):
        weight = 1.0 if page.bench == "scrapinghub_text" else SNIPPET_WEIGHT
        for row, lab, hit, info_row in zip(rows, page.labels, page.ruled, page.rows, strict=True):
            if lab is None or hit:
                continue
            xs.append(row)
            ys.append(lab)
            ws.append(weight * info_row[LOG_WORDS])
    return np.array(xs), np.array(ys), np.array(ws)


def train(pages: list[Page]) -> dict[str, object]:
    x, y, w = training_rows(pages, [p.rows for p in pages])
    stage1 = fit(x, y, w)
    # out-of-fold stage-1 scores (two folds by page) so stage 2 learns from honest neighbours
    folds = [[p for k, p in enumerate(pages) if k % 2 == f] for f in (0, 1)]
    s2_pages: list[Page] = []
    s2_rows: list[list[list[float]]] = []
    for f in (0, 1):
        other = folds[1 - f]
        xo, yo, wo = training_rows(other, [p.rows for p in other])
        m1 = model_from_json({"stage1": fit(xo, yo, wo), "stage2": fit(xo, yo, wo), "threshold": 0.5,
                              "names": list(NAMES)}).stage1
        for page in folds[f]:
            p1 = [m1.score(r) for r in page.rows]
            s2_pages.append(page)
            s2_rows.append(stage2_rows(page.rows, p1, page.ruled))
    x2, y2, w2 = training_rows(s2_pages, s2_rows)
    stage2 = fit(x2, y2, w2)
    data: dict[str, object] = {"names": [*NAMES, *STAGE2_NAMES], "stage1": stage1, "stage2": stage2,
                               "threshold": 0.5}
    data["threshold"] = tune_threshold(pages, data)
    return data


def page_texts(pages: list[Page], data: dict[str, object], threshold: float) -> dict[str, str]:
    model = model_from_json(data)
    out = {}
    for page in pages:
        keep = [True] * len(page.lines)
        for i, p, hit in zip(page.index, predict(model, page.rows, page.ruled), page.ruled, strict=True):
            keep[i] = not hit and p >= threshold
        out[page.record["id"]] = "\n".join(line for line, k in zip(page.lines, keep, strict=True) if k)
    return out


def mean_f1(pages: list[Page], data: dict[str, object], threshold: float) -> dict[str, float]:
    score = load_score_module().score
    result = {}
    for bench in BENCHES:
        subset = [p for p in pages if p.bench == bench]
        if subset:
            texts = page_texts(subset, data, threshold)
            metric = "recall" if bench == "gold_as_input" else "f1"
            result[bench] = score([p.record for p in subset], texts)[metric]
    return result


def tune_threshold(pages: list[Page], data: dict[str, object]) -> float:
    best = (-1.0, 0.5)
    for t in np.arange(0.2, 0.81, 0.025):
        f1 = mean_f1(pages, data, float(t))
        weights = {b: GOLD_OBJECTIVE_WEIGHT if b == "gold_as_input" else 1.0 for b in f1}
        objective = sum(weights[b] * f1[b] for b in f1) / sum(weights.values())
        best = max(best, (objective, round(float(t), 3)))
    return best[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", action="store_true", help="print in-sample and cross-validated F1")
    args = ap.parse_args()
    sh = load_records("scrapinghub_text")
    sets = {"scrapinghub_text": sh, "trafilatura_text": load_records("trafilatura_text"),
            "gold_as_input": gold_as_input(sh)}
    pages = [prepare(r, b) for b, recs in sets.items() for r in recs]
    halves = [[p for p in pages if page_half(p.record) == h] for h in (0, 1)]
    full = train(pages)
    (DATA / "line_model.json").write_text(json.dumps(full, indent=1) + "\n", encoding="utf-8")
    for h in (0, 1):
        cv = train(halves[1 - h])
        (DATA / f"line_model.cv{h}.json").write_text(json.dumps(cv, indent=1) + "\n", encoding="utf-8")
        if args.report:
            print(f"half {h}: in-sample (full model) {mean_f1(halves[h], full, float(full['threshold']))}"  # type: ignore[arg-type]
                  f"  held out {mean_f1(halves[h], cv, float(cv['threshold']))}")  # type: ignore[arg-type]
    print(f"threshold {full['threshold']}; in-sample {mean_f1(pages, full, float(full['threshold']))}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
