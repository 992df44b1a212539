from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationConfig(AppConfig):
    name = "allocation"
    verbose_name = _("Allocation")

    def ready(self) -> None:
        from allocation.signals import on_batch_loaded
        from imports.signals import batch_loaded

        batch_loaded.connect(on_batch_loaded, dispatch_uid="allocation.on_batch_loaded")
