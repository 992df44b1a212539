"""Raised after a batch's data is committed; recompute and republish hook in here."""

from django.dispatch import Signal

# Sent with batch=ImportBatch, months=list[date], after the loading transaction commits.
batch_loaded = Signal()
