"""One frozen object holds every cleaning knob. Build it once (CLI, flow parameters) and pass it down."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class Config:
    # --- encoding -------------------------------------------------------------------------------------
    fix_encoding: bool = True
    """Repair mojibake and other encoding damage with ftfy."""
    uncurl_quotes: bool = False
    """Turn typographic quotes into ASCII ones. Off by default: curly quotes are content, not damage."""

    # --- line cleaning --------------------------------------------------------------------------------
    remove_boilerplate: bool = True
    """Apply the rule catalogue and the line classifier. Off: only encoding repair and rejection."""
    disabled_rules: frozenset[str] = field(default_factory=frozenset)
    """Rule ids (or id prefixes ending in '.') never applied."""
    guard_max_removed_share: float = 0.6
    """Over-removal guard: if risky rules would remove more than this share of a document's words,
    keep the lines removed by risky rules and flag the document instead."""
    guard_enabled: bool = True
    model_enabled: bool = True
    """Apply the learned line classifier (rule id ``model.line-classifier``) after the rule catalogue."""
    model_threshold: float | None = None
    """Lines whose content probability falls below this are removed; None: the model's tuned threshold."""
    model_confident_below: float = 0.05
    """Model removals with a content probability under this are not risky (the guard keeps the rest).
    A model removal of a line that reads like prose is always risky."""
    model_file: str = "line_model.json"
    """Which weights file in ``cleaners/data`` the line classifier uses (evaluation swaps in others)."""
    guard_strong_evidence: int = 3
    """Over-removal guard: with at least this many confident removals the document is known to carry
    furniture, and the guard gives back only the risky lines that read like prose."""
    section_min_prose_words: int = 60
    """A section-start rule (e.g. a comment section heading) only applies after this many words of
    prose (rules with ``zone = "any"``, unmistakable headings, apply anywhere), so a heading above
    or inside the article's first paragraphs never cuts the article."""
    guard_min_evidence: int = 1
    """Clean-input guard: a document with fewer confident removals (non-risky rules, sure model
    decisions) than this reads as already clean; its risky removals are undone and it is flagged."""

    # --- cross-document -------------------------------------------------------------------------------
    sitewide_min_docs: int = 3
    """A line seen in at least this many documents of one site within a run is site boilerplate."""
    sitewide_min_share: float = 0.5
    """... and in at least this share of that site's documents (guards big sites against common phrases)."""
    sitewide_max_words: int = 30
    """Longer lines are never treated as site boilerplate (syndicated paragraphs are content)."""

    # --- rejection ------------------------------------------------------------------------------------
    min_words: int = 20
    """Documents with fewer words left after cleaning are rejected as ``too-short``."""
    reject_max_words: int = 150
    """Only documents this short after cleaning can be rejected as error pages, archive notices, walls
    or listings (a long article that mentions a 404 or a paywall is still an article)."""
    no_article_min_removed: int = 20
    """A document with at least this many lines removed and no line outside rule-removed furniture
    that reads like article text (prose, or 25+ words) is rejected as ``no-article``."""
    listing_min_lines: int = 40
    """A short document of at least this many lines, none of them prose, is rejected as ``listing``."""

    # --- HTML -----------------------------------------------------------------------------------------
    max_html_bytes: int = 20_000_000
    """Larger HTML is not parsed; the document is rejected as ``html-too-large``."""
    html_timeout_s: float = 30.0
    """Extraction running longer than this is abandoned (quarantined as ``extract-timeout``)."""
    max_text_chars: int = 2_000_000
    """Longer plain text is not cleaned (time grows with size); quarantined as ``text-too-large``."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["disabled_rules"] = sorted(self.disabled_rules)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Config:
        """Build a Config from plain values (flow parameters, JSON); unknown keys are an error."""
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config option(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        if "disabled_rules" in values:
            values["disabled_rules"] = frozenset(values["disabled_rules"])
        return cls(**values)

    def with_(self, **changes: Any) -> Config:
        return replace(self, **changes)

    def rule_enabled(self, rule_id: str) -> bool:
        return not any(
            rule_id == d or (d.endswith(".") and rule_id.startswith(d)) for d in self.disabled_rules
        )


DEFAULT_CONFIG = Config()
