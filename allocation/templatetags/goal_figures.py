"""Template filters for the effect goals: a measure's name, value and status words in the reader's
language (the stored figures keep codes and raw decimals)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from allocation.goals.measures import measure_label
from allocation.goals.status import figure, level_word, missing_words, status_words

register = template.Library()


def _get(line: Any, name: str) -> Any:
    return line.get(name) if isinstance(line, dict) else getattr(line, name, None)


@register.filter
def goal_label(line: Any) -> str:
    return measure_label(_get(line, "measure"), _get(line, "channel_name"))


@register.filter
def goal_figure(value: Any, unit: str) -> str:
    return figure(value, unit)


@register.filter
def goal_level_word(level: str) -> str:
    return level_word(level)


@register.filter
def goal_status(line: Any) -> str:
    """The status in words with the figures, for a line of the follow-up (stored or live)."""
    value = _get(line, "value") if isinstance(line, dict) else _get(line, "year_value")
    level = _get(line, "level") if isinstance(line, dict) else _get(line, "year_level")
    return status_words(level=level, value=value, target=_get(line, "target"), unit=_get(line, "unit"))


LEVEL_COLOURS = {"green": "success", "amber": "warning", "red": "danger"}


@register.filter
def goal_level_tag(level: str) -> SafeString:
    """The status as a tag whose word says it (Uppnått / Nära målet / Ej uppnått); the colour only
    repeats the word."""
    return format_html(
        '<span class="ds-tag" data-color="{}" data-level="{}">{}</span>',
        LEVEL_COLOURS.get(level, "neutral"),
        level,
        level_word(level),
    )


@register.filter
def goal_missing(line: Any) -> str:
    """Why a line has no status: nothing measured, or no target for it."""
    value = _get(line, "value") if isinstance(line, dict) else _get(line, "year_value")
    return missing_words(value=value, target=_get(line, "target"))
