from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What each staff role may do in the back office (the object-level limits live
# in the ModelAdmins and the services).
ROLE_PERMISSIONS = {
    "operator": [
        "places.view_merchant",
        "places.change_merchant",
        "places.view_merchantevent",
        "places.view_compound",
        "places.change_compound",
        "places.view_community",
        "places.view_searchlog",
        "places.view_businesstype",
        "places.view_merchantservice",
        "places.change_merchantservice",
        "places.add_merchantservice",
        "places.view_openinghours",
        "places.view_openingexception",
        "places.add_openingexception",
        "places.change_openingexception",
        "places.view_merchantphoto",
        "places.view_merchantstaff",
        "people.view_resident",
        "people.view_household",
        # The resident register: import (a preview first) and mark moved away.
        "people.view_registerentry",
        "people.change_registerentry",
        "people.view_registerevent",
    ],
}


def grant_role_permissions(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    from quarter.people.models import Role

    for role_name in Role.values:
        Group.objects.get_or_create(name=role_name)
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                group.permissions.add(perm)


class PeopleConfig(AppConfig):
    name = "quarter.people"
    verbose_name = _("居民与角色")

    def ready(self):
        from quarter.people import checks  # noqa: F401 - registers the checks

        post_migrate.connect(grant_role_permissions, sender=self)
