"""The yearly evaluation's own record: the short text finance staff write above the generated
figures before the report is printed."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluationText(models.Model):
    """The year's text at the top of the evaluation (page, PDF, workbook). Until finance staff save
    one, the report shows a draft generated from the figures; every save is audited."""

    year = models.PositiveIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2200)]
    )
    text = models.TextField(_("text"), max_length=8000)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    edited_at = models.DateTimeField(_("edited at"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("evaluation text")
        verbose_name_plural = _("evaluation texts")

    def __str__(self) -> str:
        return f"{self.year}"
