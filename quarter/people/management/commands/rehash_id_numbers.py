"""Move stored ID-number hashes from an old QUARTER_ID_HASH_KEY to the current one.

The ID numbers themselves are never stored, so a hash can only be moved for a
person whose number is at hand: the community rosters (the resident register
files) or any list of numbers. For each number the command computes the hash
under the old key and under the current key, and rewrites every stored copy:
every model field named `id_hash`, `person_hash` or ending in `_id_hash`.
Hashes no file accounts for stay as they were; those people re-verify.

    QUARTER_ID_HASH_KEY=<new> QUARTER_ID_HASH_KEY_OLD=<old> \\
        quarter manage rehash_id_numbers roster1.csv roster2.csv [--dry-run]

Run it with the servers stopped and no voucher round open (the claim engine
keeps per-round copies of the hashes in Redis). One transaction: all or nothing.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from quarter.core.identity import id_number_problem, normalize_id_number

_ID_CANDIDATE = re.compile(r"\d{17}[\dXx]")


def _hash(key: str, number: str) -> str:
    return hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()


def hash_fields():
    """(model, field name) of every stored ID-number hash."""
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.name in ("id_hash", "person_hash") or f.name.endswith("_id_hash"):
                yield model, f.name


def read_numbers(path: Path) -> set[str]:
    """Every valid ID number in a CSV or text file (any column)."""
    numbers = set()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.reader(handle):
            for cell in row:
                for found in _ID_CANDIDATE.findall(cell):
                    number = normalize_id_number(found)
                    if id_number_problem(number) is None:
                        numbers.add(number)
    return numbers


class Command(BaseCommand):
    help = "更换身份证号哈希密钥后,用名册文件把已存的哈希迁移到新密钥"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="CSV/text files with ID numbers")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, files, dry_run, **options):
        old_key = os.environ.get("QUARTER_ID_HASH_KEY_OLD", "").strip()
        new_key = settings.QUARTER_ID_HASH_KEY
        if not old_key:
            raise CommandError("QUARTER_ID_HASH_KEY_OLD 未设置(旧密钥)")
        if old_key == new_key:
            raise CommandError("新旧密钥相同,无需迁移")
        numbers: set[str] = set()
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"找不到文件:{path}")
            numbers |= read_numbers(path)
        mapping = {_hash(old_key, n): _hash(new_key, n) for n in numbers}
        moved = 0
        with transaction.atomic():
            for model, field in hash_fields():
                for old, new in mapping.items():
                    moved += model._default_manager.filter(**{field: old}).update(
                        **{field: new}
                    )
            left = sum(
                model._default_manager.exclude(**{f"{field}__in": mapping.values()})
                .exclude(**{f"{field}__isnull": True})
                .exclude(**{field: ""})
                .count()
                for model, field in hash_fields()
            )
            if dry_run:
                transaction.set_rollback(True)
        self.stdout.write(
            f"{'(试运行)' if dry_run else ''}名册中身份证号 {len(numbers)} 个,"
            f"迁移哈希 {moved} 处;仍为旧密钥或无法对应的 {left} 处(这些居民需重新实名)"
        )
