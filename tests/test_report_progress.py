"""The progress artifact's hook: moved by at least 1% and at most once per interval, always to 100%."""

from __future__ import annotations

from typing import Any

import pytest

from flows import report


def test_progress_moves_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    updates: list[float] = []
    monkeypatch.setattr(report, "create_progress_artifact", lambda *a, **k: "id")
    monkeypatch.setattr(report, "update_progress_artifact", lambda _id, percent: updates.append(percent))
    now = [0.0]
    progress = report.RunProgress(1000, "r", interval=5.0, clock=lambda: now[0])

    def step(docs: int, at: float) -> None:
        now[0] = at
        progress(docs, 0)

    step(100, 1.0)  # 10%, but within the interval of the start
    step(200, 6.0)  # 20%: moved
    step(205, 11.5)  # +0.5%: not enough
    step(300, 10.0)  # within the interval of the last update
    step(400, 20.0)  # moved
    step(1000, 20.5)  # 100%: always
    assert updates == [20.0, 40.0, 100.0]


def test_an_empty_run_is_complete_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    updates: list[Any] = []
    monkeypatch.setattr(report, "create_progress_artifact", lambda *a, **k: "id")
    monkeypatch.setattr(report, "update_progress_artifact", lambda _id, percent: updates.append(percent))
    report.RunProgress(0)(0, 0)
    assert updates == [100.0]
