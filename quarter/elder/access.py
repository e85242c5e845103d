"""Who may change which display preference.

Anyone may switch 长辈模式 for their own browser (a cookie); only a signed-in
person has a profile to remember it in, and only their own.
"""


def can_save_to_profile(actor) -> bool:
    return bool(actor is not None and actor.is_authenticated)


def _declare_scope() -> None:
    from quarter.core import scope
    from quarter.elder.models import DisplayPreference

    # A display preference is personal: only the superuser sees it in the back office.
    scope.declare(DisplayPreference, superuser_only=True)
