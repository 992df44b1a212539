"""The allocation app's models, by what they hold: keys, runs (pools and runs), publications and
the ledger (postings and settlements). Imported here so Django and the rest of the code find them
as allocation.models."""

from allocation.models.evaluation import EvaluationText
from allocation.models.forecast import DigitalisationAssumption
from allocation.models.frames import FrameAdjustment, FrameChange
from allocation.models.funding import Extension, ExtensionRegister, FundingSource, FundingSourceAmount
from allocation.models.goals import GoalTarget, GoalTargetDecision, GoalTargetSet
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
    JournalLine,
    Posting,
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
    PoolPrice,
    PriceDecision,
    RunAmount,
    RunAmountQuerySet,
    RunSeal,
)
from allocation.models.transfers import AdministrationHourCost, GroupingTransfer

__all__ = [
    "AdministrationHourCost",
    "AllocationKey",
    "AllocationKeyQuerySet",
    "AllocationRun",
    "AllocationRunQuerySet",
    "CentreCost",
    "CostPool",
    "DigitalisationAssumption",
    "EvaluationText",
    "Extension",
    "ExtensionRegister",
    "FrameAdjustment",
    "FrameChange",
    "FrozenByKeyQuerySet",
    "FundingLine",
    "FundingSource",
    "FundingSourceAmount",
    "GoalTarget",
    "GoalTargetDecision",
    "GoalTargetSet",
    "GroupingTransfer",
    "JournalLine",
    "KeyDecision",
    "KeyLoadLine",
    "KeyShare",
    "PoolPrice",
    "Posting",
    "PostingExport",
    "PostingProfile",
    "PriceDecision",
    "Publication",
    "PublicationFile",
    "PublicationRequest",
    "PublicationSchedule",
    "RunAmount",
    "RunAmountQuerySet",
    "RunSeal",
    "Settlement",
    "SettlementDecision",
    "SettlementLine",
    "SettlementQuerySet",
]
