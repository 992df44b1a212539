"""The allocation app's models, by what they hold: keys, runs (pools and runs), publications and
the ledger (postings and settlements). Imported here so Django and the rest of the code find them
as allocation.models."""

from allocation.models.keys import (
    AllocationKey,
    AllocationKeyQuerySet,
    FrozenByKeyQuerySet,
    KeyDecision,
    KeyLoadLine,
    KeyShare,
)
from allocation.models.ledger import (
    CentreCost,
    PostingExport,
    PostingProfile,
    Settlement,
    SettlementDecision,
    SettlementLine,
    SettlementQuerySet,
)
from allocation.models.publications import Publication, PublicationFile, PublicationRequest, PublicationSchedule
from allocation.models.runs import (
    AllocationRun,
    AllocationRunQuerySet,
    CostPool,
    FundingLine,
    RunAmount,
    RunAmountQuerySet,
)

__all__ = [
    "AllocationKey",
    "AllocationKeyQuerySet",
    "AllocationRun",
    "AllocationRunQuerySet",
    "CentreCost",
    "CostPool",
    "FrozenByKeyQuerySet",
    "FundingLine",
    "KeyDecision",
    "KeyLoadLine",
    "KeyShare",
    "PostingExport",
    "PostingProfile",
    "Publication",
    "PublicationFile",
    "PublicationRequest",
    "PublicationSchedule",
    "RunAmount",
    "RunAmountQuerySet",
    "Settlement",
    "SettlementDecision",
    "SettlementLine",
    "SettlementQuerySet",
]
