"""Allocation listens to imports: months whose data changed make open measured keys stale."""

from __future__ import annotations

from typing import Any


def on_batch_loaded(sender: Any, batch: Any, months: list[Any], **kwargs: Any) -> None:
    from allocation.tasks import flag_stale_keys

    flag_stale_keys.delay([m.isoformat() for m in months])
