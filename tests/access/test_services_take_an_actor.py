"""Every public verb in every app's services takes a required `actor`.

Issue 8: "no public service that can be called without an actor". The test
enumerates the public functions of each app's `services` module (and of the
modules of a `services` package) and refuses any new one that neither takes a
required `actor` nor is listed below with the reason it needs none. The list
was reviewed function by function; a new entry needs the same review.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django.apps import apps

from quarter.core.actors import SYSTEM

# Computes from its arguments or settings; decides nothing about anyone.
PURE = "pure"
# The person acting is the argument itself: the resident, user or household
# whose own data it is, a signed ticket, an Open311 client's key.
PERSON = "person"
# A step inside other services, reached only after they checked their actor
# (ledger postings, search index, rate-limit counters, statement rendering).
STEP = "step"
# Run by the system as a whole: a scheduled job or the demo loader.
JOB = "job"

EXEMPT = {
    "quarter.places.services": {
        "parse_discount": PURE,
        "check_card_rule": PURE,
        "check_photo": PURE,
        "index_merchant": STEP,
        "reindex_merchants": STEP,
    },
    "quarter.people.services": {
        "add_role": STEP,
        "sign_up_resident": PERSON,  # proves its phone with the code it carries
    },
    "quarter.ledger.services": {
        "open_accounts": STEP,
        "post_transaction": STEP,
        "move": STEP,
        "reverse_transaction": STEP,
        "balance_of": STEP,
    },
    "quarter.vouchers.services.campaigns": {
        "coupons_from_preset": PURE,
        "round_snapshot": PURE,
    },
    "quarter.vouchers.services.claims": {
        "check_eligible": PERSON,
        "check_timing": PURE,
        "request_from_ticket": PERSON,
        "submit_claim": PERSON,
        "claim_with_ticket": PERSON,
        "materialize_claims": JOB,
    },
    "quarter.vouchers.services.lottery": {
        "register": PERSON,
        "replay_draw": PURE,  # anyone may check a published draw
    },
    "quarter.vouchers.services.redemptions": {
        "refund_cut_fen": PURE,
        "expire_vouchers": JOB,
        "guard_till_attempt": STEP,
        "count_till_failure": STEP,
        "code_lock_until": PURE,
        "usable_vouchers": PERSON,
        "vouchers_within_cap": PERSON,
    },
    "quarter.vouchers.services.settlement": {
        "statement_rows": STEP,
        "statement_csv": STEP,
        "statement_xlsx": STEP,
    },
    "quarter.notifications.services": {
        "notify": STEP,
        "unread_count": PERSON,
        "mark_read": PERSON,
    },
    "quarter.card.services": {
        "pin_matches": STEP,
        "record_card_locked": STEP,
    },
    "quarter.reviews.services": {
        "parse_stars": PURE,
        "compute_breakdown": PURE,
    },
    "quarter.referrals.services": {
        "monthly_cap_fen": PURE,
        "refund_window": PURE,
        "same_person_reason": PURE,
        "mask_name": PURE,
        "budget_fen": STEP,
        "earn_reward": STEP,
        "reverse_reward": STEP,
    },
    "quarter.board.services": {"draft_from_merchant_event": STEP},
    "quarter.civic.services": {
        "check_photo": PURE,
        "new_api_key": PURE,
        "client_for_key": PERSON,
        "place_by_compound": PURE,
        "submit_open311_request": PERSON,
    },
    "quarter.benefits.services": {"describe_rule": PURE, "grant_title": PURE},
    "quarter.feed.services": {
        "note_search": STEP,
        "train_neighbours": JOB,
        "rebuild_counters": JOB,
    },
    "quarter.surveys.services": {
        "parse_answers": PURE,
        "has_answered": PERSON,
        "send_poster_code": PERSON,  # the unregistered respondent's own phone
        "submit_poster_response": PERSON,
    },
    "quarter.demo.services": {
        "demo_logins": JOB,
        "load_demo": JOB,
        "demo_id_number": PURE,
        "put_on_demo_register": JOB,
    },
}


def _service_modules():
    for app in apps.get_app_configs():
        if not app.name.startswith("quarter."):
            continue
        try:
            module = importlib.import_module(f"{app.name}.services")
        except ModuleNotFoundError:
            continue
        yield module
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            yield importlib.import_module(f"{module.__name__}.{info.name}")


def _public_functions(module):
    for name, value in vars(module).items():
        if (
            not name.startswith("_")
            and inspect.isfunction(value)
            and value.__module__ == module.__name__
        ):
            yield name, value


def test_every_public_service_takes_a_required_actor_or_says_why_not():
    missing = []
    seen = set()
    for module in _service_modules():
        exempt = EXEMPT.get(module.__name__, {})
        for name, function in _public_functions(module):
            seen.add((module.__name__, name))
            actor = inspect.signature(function).parameters.get("actor")
            if actor is not None:
                # A default actor is allowed only for jobs that default to SYSTEM.
                if actor.default is not inspect.Parameter.empty:
                    assert actor.default is SYSTEM, (module.__name__, name)
                continue
            if name not in exempt:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"public services without an actor: {missing}"
    stale = {
        f"{m}.{n}" for m, names in EXEMPT.items() for n in names if (m, n) not in seen
    }
    assert not stale, f"exemptions for services that no longer exist: {stale}"


def test_the_enumeration_reaches_every_app_with_services():
    modules = {m.__name__ for m in _service_modules()}
    assert "quarter.coverage.services" in modules
    assert "quarter.vouchers.services.claims" in modules
    assert len(modules) >= 15
