"""Verbs of the resident register (居民名册): import with preview, move away.

An import runs in two steps. `preview_register_import` reads the uploaded
roster in memory, checks every row (ID number, compound, duplicates in the
file, already registered) and stores only the reduced rows (name, ID hash and
mask, birth year, compound, 门牌) in a `RegisterImport` in state `previewed`;
it writes no register entry. `commit_register_import` then writes the valid
rows: a person already registered in the community keeps their row (the
community and ID hash identify them), so importing the same roster twice
changes nothing. Rows with errors are skipped and listed. States of an
import: previewed -> committed | discarded; both clear the stored rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db import transaction

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.identity import (
    birth_year_from_id,
    hash_id_number,
    id_number_problem,
    mask_id_number,
    normalize_id_number,
)
from quarter.people import access, events
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import (
    AccessLog,
    Household,
    RegisterEntry,
    RegisterImport,
    RegisterStatus,
    Resident,
)
from quarter.people.roster import read_roster
from quarter.places.models import Community, Compound

# Row outcomes of a preview.
NEW, UPDATE, UNCHANGED, ERROR = "new", "update", "unchanged", "error"
OUTCOME_LABELS = {
    NEW: "新增",
    UPDATE: "已在名册,将更新住址",
    UNCHANGED: "已在名册,无变化",
    ERROR: "有错误,将跳过",
}


def preview_register_import(
    *, actor, community: Community, data: bytes, filename: str, ip: str | None = None
) -> RegisterImport:
    """Check a roster file row by row and keep the reduced rows for confirmation.

    Raises `not_operator_of_community`, `register_file_invalid`,
    `register_file_too_large`. Writes one `RegisterImport` (previewed) and an
    access-log line; never a register entry, never the file or a plaintext
    ID number.
    """
    access.require_operator_of(actor, community)
    rows = read_roster(
        data,
        filename=filename,
        max_bytes=settings.QUARTER_REGISTER_MAX_BYTES,
        max_rows=settings.QUARTER_REGISTER_MAX_ROWS,
    )
    compounds = {c.name: c for c in Compound.objects.filter(community=community)}
    hashes = {
        r.line: hash_id_number(r.id_number)
        for r in rows
        if id_number_problem(r.id_number) is None
    }
    existing = {
        e.id_hash: e
        for e in RegisterEntry.objects.filter(
            community=community, id_hash__in=set(hashes.values())
        ).select_related("compound")
    }
    seen: dict[str, int] = {}
    checked = [_check_row(r, hashes, compounds, existing, seen) for r in rows]
    counts = dict(Counter(row["outcome"] for row in checked))
    with transaction.atomic():
        _discard_stale_previews()
        batch = RegisterImport.objects.create(
            community=community,
            created_by=actor,
            rows=checked,
            counts=counts,
            created_at=clock.now(),
        )
        events.personal_data_accessed(
            actor=actor,
            action=AccessLog.Action.IMPORT,
            data="居民名册(预览)",
            subject=f"{community.name} {len(rows)}行",
            reason="导入居民名册",
            ip=ip,
        )
    return batch


# A preview holds reduced personal data: it is kept a day at most.
PREVIEW_LIFETIME = dt.timedelta(days=1)


def _discard_stale_previews() -> None:
    RegisterImport.objects.filter(
        state=RegisterImport.State.PREVIEWED,
        created_at__lt=clock.now() - PREVIEW_LIFETIME,
    ).update(state=RegisterImport.State.DISCARDED, rows=[])


def _check_row(row, hashes, compounds, existing, seen) -> dict:
    errors = []
    name = row.name.strip()
    if not name or len(name) > 40:
        errors.append("姓名为空或过长")
    id_hash = hashes.get(row.line)
    if row.id_number == "#NUMBER":
        errors.append("身份证号被 Excel 存成了数字,请把该列设为文本后重新填写")
    elif id_hash is None:
        errors.append(id_number_problem(row.id_number) or "身份证号有误")
    compound = compounds.get(row.compound.strip())
    if compound is None:
        errors.append(f"本社区没有小区“{row.compound.strip()[:40]}”")
    address = row.address.strip()
    if not address or len(address) > 80:
        errors.append("门牌为空或过长")
    if id_hash is not None:
        if id_hash in seen:
            errors.append(f"与第{seen[id_hash]}行是同一人(身份证号重复)")
        else:
            seen[id_hash] = row.line
    number = normalize_id_number(row.id_number)
    result = {
        "line": row.line,
        "name": name[:40],
        "id_masked": mask_id_number(number) if len(number) == 18 else "",
        "compound": row.compound.strip()[:40],
        "address": address[:80],
    }
    entry = existing.get(id_hash) if id_hash else None
    if entry is not None and entry.status == RegisterStatus.MOVED_AWAY and not errors:
        errors.append("该居民已标记迁出;如已迁回,请先在名册中核实")
    if errors:
        return {**result, "outcome": ERROR, "message": ";".join(errors)}
    result.update(
        id_hash=id_hash,
        birth_year=birth_year_from_id(number),
        compound_id=compound.pk,
    )
    if entry is None:
        return {**result, "outcome": NEW, "message": ""}
    same = (entry.compound_id, entry.address, entry.name) == (
        compound.pk,
        address,
        name,
    )
    if same:
        return {**result, "outcome": UNCHANGED, "message": "已在名册中"}
    return {
        **result,
        "outcome": UPDATE,
        "message": f"名册中为 {entry.compound.name} {entry.address},将更新",
    }


def commit_register_import(*, actor, batch: RegisterImport) -> RegisterImport:
    """Write the valid rows of a previewed import to the register, once.

    Raises `not_operator_of_community`, `register_import_done` (already
    committed or discarded). New people get a register entry; a registered
    person whose compound, 门牌 or name changed is updated in place (and a
    resident bound to them moves to the new household). Writes a
    `RegisterEvent` (imported) with the counts and clears the stored rows.
    """
    access.require_operator_of(actor, batch.community)
    with transaction.atomic():
        batch = RegisterImport.objects.select_for_update().get(pk=batch.pk)
        if batch.state != RegisterImport.State.PREVIEWED:
            raise DomainError(
                Code.REGISTER_IMPORT_DONE, "这次导入已经处理过了", status_code=409
            )
        if batch.created_at < clock.now() - PREVIEW_LIFETIME:
            raise DomainError(
                Code.REGISTER_IMPORT_DONE,
                "预览已超过一天,请重新上传名册",
                status_code=409,
            )
        now = clock.now()
        rows = [r for r in batch.rows if r["outcome"] in (NEW, UPDATE)]
        existing = {
            e.id_hash: e
            for e in RegisterEntry.objects.select_for_update().filter(
                community_id=batch.community_id,
                id_hash__in=[r["id_hash"] for r in rows],
            )
        }
        created = updated = 0
        for row in rows:
            entry = existing.get(row["id_hash"])
            if entry is None:
                RegisterEntry.objects.create(
                    community_id=batch.community_id,
                    compound_id=row["compound_id"],
                    address=row["address"],
                    name=row["name"],
                    id_hash=row["id_hash"],
                    id_masked=row["id_masked"],
                    birth_year=row["birth_year"],
                    created_at=now,
                    updated_at=now,
                )
                created += 1
            elif entry.status == RegisterStatus.ACTIVE:
                _update_entry(entry, row, now)
                updated += 1
        counts = {**batch.counts, "created": created, "updated": updated}
        batch.state = RegisterImport.State.COMMITTED
        batch.committed_at = now
        batch.counts = counts
        batch.rows = []
        batch.save(update_fields=["state", "committed_at", "counts", "rows"])
        events.register_imported(batch.community, actor=actor, counts=counts)
    return batch


def _update_entry(entry: RegisterEntry, row: dict, now) -> None:
    entry.compound_id = row["compound_id"]
    entry.address = row["address"]
    entry.name = row["name"]
    entry.updated_at = now
    entry.save(update_fields=["compound", "address", "name", "updated_at"])
    resident = Resident.objects.filter(register_entry=entry).first()
    if resident is not None:
        resident.household, _ = Household.objects.get_or_create(
            compound_id=entry.compound_id, address=entry.address
        )
        resident.save(update_fields=["household"])


def discard_register_import(*, actor, batch: RegisterImport) -> None:
    """Drop a previewed import and its stored rows."""
    access.require_operator_of(actor, batch.community)
    RegisterImport.objects.filter(
        pk=batch.pk, state=RegisterImport.State.PREVIEWED
    ).update(state=RegisterImport.State.DISCARDED, rows=[])


def mark_moved_away(*, actor, entry: RegisterEntry, reason: str) -> RegisterEntry:
    """Mark a registered person as moved away (迁出).

    Raises `not_operator_of_community`, `reason_required`,
    `already_moved_away`. The entry can no longer be matched by real-name
    verification; a resident bound to it leaves its household, so they no
    longer claim vouchers of the community. Writes a `RegisterEvent`.
    """
    access.require_operator_of(actor, entry.community)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(Code.REASON_REQUIRED, "请填写迁出原因", field="reason")
    with transaction.atomic():
        entry = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == RegisterStatus.MOVED_AWAY:
            raise DomainError(
                Code.ALREADY_MOVED_AWAY, "该居民已标记迁出", status_code=409
            )
        entry.status = RegisterStatus.MOVED_AWAY
        entry.moved_away_at = clock.now()
        entry.updated_at = entry.moved_away_at
        entry.save(update_fields=["status", "moved_away_at", "updated_at"])
        Resident.objects.filter(register_entry=entry).update(household=None)
        events.register_moved_away(entry, actor=actor, reason=reason)
    return entry


def find_register_entry(
    *, community: Community, name: str, id_hash: str
) -> RegisterEntry | None:
    """Return the active register entry of `community` for this name and ID hash."""
    entry = (
        RegisterEntry.objects.filter(
            community=community, id_hash=id_hash, status=RegisterStatus.ACTIVE
        )
        .select_related("compound")
        .first()
    )
    if entry is None or _same_name(entry.name, name):
        return entry
    return None


def _same_name(a: str, b: str) -> bool:
    def norm(value: str) -> str:
        return "".join(value.split()).replace("•", "·").replace("・", "·")

    return norm(a) == norm(b)
