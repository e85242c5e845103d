from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VouchersConfig(AppConfig):
    name = "quarter.vouchers"
    verbose_name = _("消费券")
