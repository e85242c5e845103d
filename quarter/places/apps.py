from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _


def ensure_catalogue(sender, **kwargs):
    """Reload the business types after a flush
    (transactional tests empty every table)."""
    from quarter.places.catalogue import load_catalogue
    from quarter.places.models import BusinessType

    if not BusinessType.objects.exists():
        load_catalogue(BusinessType)


class PlacesConfig(AppConfig):
    name = "quarter.places"
    verbose_name = _("商户与地图")

    def ready(self):
        from quarter.core import scope
        from quarter.places import access, receivers
        from quarter.places.models import Compound

        post_migrate.connect(ensure_catalogue, sender=self)
        pre_save.connect(
            receivers.on_compound_saving,
            sender=Compound,
            dispatch_uid="places.compound_saving",
        )
        post_save.connect(
            receivers.on_compound_written,
            sender=Compound,
            dispatch_uid="places.compound_saved",
        )
        post_delete.connect(
            receivers.on_compound_written,
            sender=Compound,
            dispatch_uid="places.compound_deleted",
        )
        # Operators reach their communities, issuers their districts.
        scope.set_reach_resolver(access.reach_of)
