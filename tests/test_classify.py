"""The line classifier in context: boilerplate at the ends goes, article text stays, removals have ids."""

from __future__ import annotations

from cleaners import Config, clean_text
from cleaners.classify import MODEL_RULE_ID, catalogue, classify_lines
from cleaners.model_line import load_model

BODY = [
    "The regional government approved a plan on Monday to rebuild the flooded railway line between the two "
    "valley towns, a project expected to take three years and cost about 400 million euros.",
    "Engineers said the new track would be raised by two metres along the river, where the water destroyed "
    "embankments and bridges last summer, leaving thousands of commuters without a train service.",
    "Opposition politicians welcomed the decision but criticised the timetable, saying residents had waited "
    "long enough and that buses were no substitute for a working railway in winter.",
    "The first contracts are to be signed in the spring, the transport ministry said in a statement.",
]
PAGE = [
    "Home", "News", "Politics", "Sport", "Search",
    "Railway line to be rebuilt after floods",
    *BODY,
    "Share this:", "Facebook", "Twitter", "Related Stories",
    "Storm warning issued for the coast",
    "Ten things to do this weekend",
    "© 2024 Valley Post. All rights reserved.",
    "Privacy Policy | Terms of Use | Contact Us",
]


def test_page_furniture_goes_and_the_article_stays() -> None:
    result = clean_text("\n".join(PAGE))
    for para in BODY:
        assert para in result.text
    for junk in ("Share this:", "Privacy Policy", "All rights reserved", "Politics", "Ten things to do"):
        assert junk not in result.text, junk
    assert all(r.rule_id for r in result.removed)


def test_model_removals_carry_their_id_and_score() -> None:
    result = clean_text("\n".join(PAGE))
    model = [r for r in result.removed if r.rule_id == MODEL_RULE_ID]
    assert model, "expected the line classifier to remove some navigation"
    assert all(r.score is not None and 0.0 <= r.score <= 1.0 for r in model)
    assert all(r.score is None for r in result.removed if r.rule_id != MODEL_RULE_ID)


def test_clean_article_comes_through_unchanged() -> None:
    text = "\n\n".join(["Railway line to be rebuilt after floods", *BODY])
    result = clean_text(text)
    assert result.text == text
    assert result.removed == []


def test_model_can_be_switched_off() -> None:
    lines = PAGE
    with_model = classify_lines(lines, Config())
    without = classify_lines(lines, Config(model_enabled=False))
    assert any(v is not None and v.rule_id == MODEL_RULE_ID for v in with_model)
    assert all(v is None or v.rule_id != MODEL_RULE_ID for v in without)
    disabled = classify_lines(lines, Config(disabled_rules=frozenset({MODEL_RULE_ID, "legal."})))
    assert all(v is None or not v.rule_id.startswith(("legal.", "model.")) for v in disabled)


def test_model_ships_and_is_deterministic() -> None:
    model = load_model()
    assert model is not None and 0.0 < model.threshold < 1.0
    assert classify_lines(PAGE, Config()) == classify_lines(PAGE, Config())


def test_catalogue_match_agrees_with_single_rules() -> None:
    cat = catalogue(frozenset())
    rules = list(cat.rules)
    samples = [ex for r in rules for ex in (*r.examples, *r.counterexamples)]
    for line in samples:
        words = len(line.split())
        for zone in ("head", "body", "tail"):
            hit = cat.match(line, words, zone)
            single = [r for r in rules if words <= r.max_words and r.zone in ("any", zone)
                      and r.regex.search(line)]
            assert (hit is None) == (not single), (line, zone)
            if hit is not None:
                assert hit in single


def test_over_removal_guard_flags_and_keeps_risky_lines() -> None:
    config = Config(guard_max_removed_share=0.0, guard_min_evidence=0, guard_strong_evidence=1000)
    result = clean_text("\n".join(PAGE), config=config)
    assert "over-removal-guard" in result.flags
    assert all(r.rule_id != MODEL_RULE_ID or (r.score or 0) > 1 - config.model_confident_below
               for r in result.removed)


def test_over_removal_guard_on_furniture_pages_gives_back_prose_only() -> None:
    teaser = ("Officials said on Monday that the harbour works would take another two years to finish, "
              "according to a report.")
    page = [*PAGE[:5], teaser, *PAGE[-8:]]
    guarded = clean_text("\n".join(page), config=Config(guard_max_removed_share=0.0, guard_strong_evidence=1))
    assert "over-removal-guard" in guarded.flags
    assert "Politics" not in guarded.text and "Ten things to do" not in guarded.text
    assert teaser in guarded.text


def test_clean_input_guard_keeps_unsure_removals_without_evidence() -> None:
    lines = ["Railway line to be rebuilt after floods", *BODY, "Train times will be published in May"]
    result = clean_text("\n\n".join(lines))
    assert "Train times will be published in May" in result.text


def test_comment_section_goes_after_the_article_but_never_cuts_it() -> None:
    comments = [
        "34 responses to “Railway line to be rebuilt after floods”",
        "It is about time this happened, the buses have been a nightmare for everyone in the valley.",
        "Three years is far too long, they should hire more crews and get this finished before next winter.",
    ]
    result = clean_text("\n".join(["Railway line to be rebuilt after floods", *BODY, *comments]))
    assert all(para in result.text for para in BODY)
    assert not any(c in result.text for c in comments)
    assert {r.rule_id for r in result.removed if r.line in comments} == {"comments.section"}
    # a comment heading above the article (e.g. a counter near the byline) removes nothing after it
    early = clean_text("\n".join(["Comments (3)", *BODY]))
    assert all(para in early.text for para in BODY)


def test_first_char_prefilter_never_drops_a_rule_match() -> None:
    """The speed-up prefilter admits the first character of every example of its rule; it is
    derived only for ``^``-anchored patterns that cannot match the empty string."""
    import re

    from cleaners.prefilter import first_char_filter
    from cleaners.rules import load_rules

    derived = 0
    for rule in load_rules():
        f = first_char_filter(rule.regex)
        derived += f is not None
        for example in rule.examples:
            text = example.strip()
            if f is not None and rule.regex.search(text):
                assert f.match(text[:1]), (rule.id, example)
    assert derived >= 10
    assert first_char_filter(re.compile(r"^(by|von)\s", re.I)).match("B")  # type: ignore[union-attr]
    assert not first_char_filter(re.compile(r"^(by|von)\s", re.I)).match("x")  # type: ignore[union-attr]
    assert first_char_filter(re.compile(r"\bby\b")) is None
    assert first_char_filter(re.compile(r"^a*")) is None
    assert first_char_filter(re.compile(r"^a|b")) is None


def test_unmistakable_comment_heading_opens_the_section_even_without_article_above() -> None:
    """A page whose article is missing: headlines, then 'Top Rated Comments' and reader comments.
    The comments go (rule ``comments.section-early``); a mere counter like 'Comments (3)' would not."""
    comments = [
        "No surprise they are keeping the smaller model around, it makes the lineup more complete.",
        "I agree but it begs the question who was in charge of the design of that keyboard anyway?",
    ]
    lines = ["Laptop with new keyboard expected next year", "Top Rated Comments", *comments]
    result = clean_text("\n".join(lines))
    assert not any(c in result.text for c in comments)
    assert {r.rule_id for r in result.removed if r.line in comments} == {"comments.section-early"}
    kept = clean_text("\n".join(["Laptop with new keyboard expected next year", "Comments (3)", *comments]))
    assert all(c in kept.text for c in comments)


def test_fast_sentence_end_agrees_with_its_regex_definition() -> None:
    import random

    from cleaners.features import _SENTENCE_END, ends_sentence

    alphabet = list(".!?…。！？;:'\"”’»)] \t\u00a0ab")
    rng = random.Random(0)
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        assert ends_sentence(s) == (_SENTENCE_END.search(s) is not None), repr(s)


def test_model_verdicts_hold_atomic_values_only_and_are_untracked() -> None:
    """The line model's verdicts are untracked by the collector (``gc_untrack``): sound only because each
    holds no container; on CPython they really are untracked."""
    import gc
    import platform

    from cleaners.gc_untrack import untrackable

    model = [v for v in classify_lines(PAGE, Config()) if v is not None and v.rule_id == MODEL_RULE_ID]
    assert model
    for verdict in model:
        assert untrackable(verdict), verdict
        if platform.python_implementation() == "CPython":
            assert not gc.is_tracked(verdict)
