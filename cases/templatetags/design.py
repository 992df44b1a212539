"""Template helpers of the site's look (Designsystemet, docs/design-system.md): a record's status
as a tag (utkast / föreslagen / godkänd …), whose colour says how far along it is while the word
says it (colour is never the only sign); and a stylesheet inlined for the memo's PDF."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Status values shared by keys, settlements, prices, charging runs, imports and publications.
COLOURS = {
    "draft": "neutral",
    "pending": "neutral",
    "proposed": "warning",
    "processing": "info",
    "running": "info",
    "approved": "success",
    "loaded": "success",
    "done": "success",
    "rejected": "danger",
    "failed": "danger",
    "superseded": "neutral",
}


@register.filter
def status_tag(record: Any) -> SafeString:
    """`{{ key|status_tag }}`: the record's `get_status_display()` in a tag coloured by its status."""
    colour = COLOURS.get(record.status, "neutral")
    return format_html('<span class="ds-tag" data-color="{}">{}</span>', colour, record.get_status_display())


@register.simple_tag
def inline_stylesheet(path: str) -> SafeString:
    """A static stylesheet's text, for a document printed from its HTML alone (the memo's PDF),
    where a <link> has no server to load from. Only our own static files: `path` is a literal
    in the template, never input."""
    from django.contrib.staticfiles import finders

    found = finders.find(path)
    if not found or isinstance(found, list):
        raise template.TemplateSyntaxError(f"no static file {path}")
    with open(found, encoding="utf-8") as f:
        return mark_safe(f.read())  # noqa: S308 - our own stylesheet, not user input
