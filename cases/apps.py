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

        from cases.access_audit import connect

        connect()  # groups, group permissions and user deletion audited whatever path changes them

        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from config.auth import record_failure, record_login, record_logout

        user_logged_in.connect(record_login, dispatch_uid="audit.login")
        user_logged_out.connect(record_logout, dispatch_uid="audit.logout")
        user_login_failed.connect(record_failure, dispatch_uid="audit.login_failed")
