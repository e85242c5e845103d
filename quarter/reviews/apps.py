from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "quarter.reviews"
    verbose_name = _("评价与评星")

    def ready(self):
        from quarter.reviews import access  # noqa: F401 - declares the scopes
