from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What operators may do with civic models in the back office (the object-level
# limits live in the scopes of civic/access.py and in the services).
OPERATOR_PERMISSIONS = [
    "view_category",
    "change_category",
    "add_category",
    "view_department",
    "add_department",
    "change_department",
    "view_report",
    "view_reportevent",
    "view_apiclient",
    "add_apiclient",
    "change_apiclient",
]


def grant_operator_permissions(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name="operator")
    perms = Permission.objects.filter(
        content_type__app_label="civic", codename__in=OPERATOR_PERMISSIONS
    )
    group.permissions.add(*perms)


class CivicConfig(AppConfig):
    name = "quarter.civic"
    verbose_name = _("民情诉求")

    def ready(self):
        post_migrate.connect(grant_operator_permissions, sender=self)
