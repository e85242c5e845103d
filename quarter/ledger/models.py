"""Double-entry ledger in integer fen: accounts, transactions and their lines.

Rows are insert-only. A transaction's lines sum to zero and are written all
together or not at all (`services.post_transaction` is the one writer). A
mistake is fixed by a new, reversing transaction, never by an update.

Accounts are named by a stable `code` (e.g. ``round:7:claimed``). `bucket`
groups accounts that belong to one funded pot (e.g. ``campaign:3``) and
`role` says which part of the pot an account holds (``unclaimed``,
``claimed``, ``receivable``...), so reports need no knowledge of callers.
The ledger imports no other app: parties are plain strings.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a posted ledger row."""


class Account(models.Model):
    code = models.CharField(max_length=120, unique=True, verbose_name=_("代码"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("账户名称"))
    # Outside accounts stand for money beyond the platform (an issuer's
    # treasury); only they and accounts flagged here may go below zero.
    is_outside = models.BooleanField(default=False, verbose_name=_("外部账户"))
    allow_negative = models.BooleanField(default=False, verbose_name=_("允许负数"))
    bucket = models.CharField(
        max_length=60, blank=True, db_index=True, verbose_name=_("资金池")
    )
    role = models.CharField(max_length=30, blank=True, verbose_name=_("角色"))
    party = models.CharField(
        max_length=60, blank=True, db_index=True, verbose_name=_("关联方")
    )
    created_at = models.DateTimeField(verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        indexes = [
            models.Index(fields=["bucket", "role"], name="ledger_acct_bucket_role")
        ]

    def __str__(self) -> str:
        return self.name or self.code


class Transaction(models.Model):
    key = models.CharField(max_length=120, unique=True, verbose_name=_("幂等键"))
    kind = models.CharField(max_length=40, db_index=True, verbose_name=_("类型"))
    reference = models.CharField(
        max_length=120, blank=True, db_index=True, verbose_name=_("业务单号")
    )
    memo = models.CharField(max_length=300, blank=True, verbose_name=_("摘要"))
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        verbose_name=_("冲销凭证"),
    )
    created_at = models.DateTimeField(db_index=True, verbose_name=_("记账时间"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")

    def __str__(self) -> str:
        return f"{self.memo or self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("ledger transactions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger transactions are append-only")


class Line(models.Model):
    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("记账凭证"),
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", verbose_name=_("账户")
    )
    # Positive is a debit to the account, negative a credit; each
    # transaction's lines sum to zero.
    amount_fen = models.BigIntegerField(verbose_name=_("金额"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_fen=0), name="ledger_line_nonzero"
            )
        ]

    def __str__(self) -> str:
        from quarter.core.money import format_yuan

        return f"{self.account} {format_yuan(self.amount_fen)}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("ledger lines are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger lines are append-only")
