from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases and organisation")

    def ready(self) -> None:
        from cases.roles import roles_ensure

        # Permissions exist only after migrate has run, so the groups are filled in here.
        post_migrate.connect(roles_ensure, dispatch_uid="cases.roles_ensure")
