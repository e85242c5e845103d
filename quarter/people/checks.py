"""System checks of the people app (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register("quarter", deploy=True)
def check_sms_backend(app_configs=None, **kwargs):
    """Warn when a deployment would only log sign-up codes instead of sending them."""
    if settings.DEBUG or settings.QUARTER_SMS_BACKEND != "console":
        return []
    return [
        Warning(
            "QUARTER_SMS_BACKEND is 'console': sign-up codes are only written to "
            "the log, no SMS is sent.",
            hint="Set QUARTER_SMS_BACKEND=aliyun and the QUARTER_SMS_ALIYUN_* "
            "variables (see quarter/people/README.md).",
            id="people.W001",
        )
    ]
