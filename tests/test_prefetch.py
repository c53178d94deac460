"""flows.prefetch: items in order with their loads, at most ``ahead`` loads in advance, errors in place."""

from __future__ import annotations

import threading

import pytest

from flows.prefetch import prefetched


def test_prefetched_yields_every_item_in_order_with_a_bounded_read_ahead() -> None:
    started: list[int] = []
    consumed: list[int] = []
    lock = threading.Lock()

    def load(i: int) -> int:
        with lock:
            started.append(i)
            assert len(started) - len(consumed) <= 3  # the item being consumed + 2 ahead
        return i * i

    for item, value in prefetched(range(20), load, ahead=2):
        assert value == item * item
        with lock:
            consumed.append(item)
    assert consumed == list(range(20)) and started == list(range(20))
    assert list(prefetched([], load)) == []


def test_a_failed_load_is_raised_where_its_item_is_reached() -> None:
    def load(i: int) -> int:
        if i == 3:
            raise OSError("gone")
        return i

    seen = []
    with pytest.raises(OSError, match="gone"):
        for item, _ in prefetched(range(6), load):
            seen.append(item)
    assert seen == [0, 1, 2]
