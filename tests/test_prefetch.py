"""flows.prefetch.read_ahead is map(): same results, same order, errors where they belong, bounded ahead."""

from __future__ import annotations

import threading

import pytest

from flows.prefetch import read_ahead


@pytest.mark.parametrize("ahead", [0, 1, 3])
@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_read_ahead_is_map(ahead: int, n: int) -> None:
    assert list(read_ahead(lambda x: x * x, range(n), ahead)) == [x * x for x in range(n)]


def test_loads_run_on_another_thread_one_item_ahead() -> None:
    loaded: list[int] = []
    threads: set[int] = set()

    def load(x: int) -> int:
        threads.add(threading.get_ident())
        loaded.append(x)
        return x

    seen = []
    for x in read_ahead(load, range(5), ahead=1):
        assert max(loaded) <= x + 1  # never more than one item loaded past the one being used
        seen.append(x)
    assert seen == list(range(5)) and threading.get_ident() not in threads


def test_a_failed_load_raises_in_its_place() -> None:
    def load(x: int) -> int:
        if x == 2:
            raise ValueError("bad item")
        return x

    got = []
    with pytest.raises(ValueError, match="bad item"):
        for x in read_ahead(load, range(5)):
            got.append(x)
    assert got == [0, 1]
