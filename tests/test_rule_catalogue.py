"""Every rule's documentation is its test: each example must match, each counterexample must not."""

from __future__ import annotations

import pytest

from cleaners import load_rules

RULES = load_rules()
POSITIVE = [(r.id, ex) for r in RULES for ex in r.examples]
NEGATIVE = [(r.id, ex) for r in RULES for ex in r.counterexamples]


@pytest.mark.parametrize(("rule_id", "line"), POSITIVE)
def test_rule_matches_its_examples(rule_id: str, line: str) -> None:
    rule = next(r for r in RULES if r.id == rule_id)
    assert rule.matches_line(line), f"{rule_id} should match {line!r}"


@pytest.mark.parametrize(("rule_id", "line"), NEGATIVE)
def test_rule_spares_its_counterexamples(rule_id: str, line: str) -> None:
    rule = next(r for r in RULES if r.id == rule_id)
    assert not rule.matches_line(line), f"{rule_id} should not match {line!r}"


def test_catalogue_ids_are_unique_and_namespaced() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all("." in i for i in ids)
