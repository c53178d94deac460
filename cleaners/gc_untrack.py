"""Telling CPython's garbage collector to stop tracking immutable objects that hold no container.

The collector only looks for reference cycles; an object that references no container cannot be part of
one. CPython stops tracking such exact tuples by itself (at their first collection), but never tuple
subclasses such as named tuples, nor tuples holding one. The line memo of :mod:`cleaners.feature_matrix`
keeps ~20,000 ``(row, bits, LineInfo, mark, key)`` entries and every new line makes one: tracked, they were
promoted through the generations and made full collections more frequent and slower (1.16 -> 0.63 CPU-s
of collection in a 20k-document run). This changes no collector setting: it only removes these objects
from its lists, as ``PyObject_GC_UnTrack`` in a C extension would (a no-op on other interpreters).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_ATOMIC = (str, bytes, int, float, bool, type(None))


def _no_op(obj: object) -> None:
    return None


def _c_untrack() -> Callable[[object], None]:
    if sys.implementation.name != "cpython":
        return _no_op
    try:
        import ctypes

        fn = ctypes.pythonapi.PyObject_GC_UnTrack
    except (ImportError, AttributeError):
        return _no_op
    fn.argtypes = [ctypes.py_object]
    fn.restype = None
    return fn


untrack: Callable[[object], None] = _c_untrack()
"""``untrack(t)``: stop tracking ``t``, a tuple (or tuple subclass) whose items are all atomic (str, bytes,
int, float, bool, None) or such tuples already untracked. Callers guarantee that; :func:`untrackable` says
whether it holds (tests)."""


def untrackable(obj: object) -> bool:
    """Whether ``obj`` is a tuple whose items are atomic or untrackable tuples (no cycle can pass it)."""
    return isinstance(obj, tuple) and all(isinstance(x, _ATOMIC) or untrackable(x) for x in obj)
