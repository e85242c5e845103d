"""The voucher demo loads on top of the community demo and keeps the books exact."""

from quarter.ledger import selectors as ledger
from quarter.vouchers.models import Campaign, Claim, Redemption, Round, Settlement


def test_load_voucher_demo_creates_presets_and_history(db, db_engine):
    from quarter.demo.services import load_demo

    load_demo()  # calls load_voucher_demo itself
    campaign = Campaign.objects.get(name__contains="东河社区演示")
    faces = sorted(
        Round.objects.filter(campaign=campaign, granted=False).values_list(
            "packet_face_fen", flat=True
        )
    )
    assert faces == [5000, 5000, 10000]
    assert Claim.objects.count() >= 40
    assert Redemption.objects.count() > 5
    assert Settlement.objects.exists()
    roles = ledger.get_bucket_balances(bucket=campaign.bucket)
    assert sum(roles.values()) == campaign.budget_fen
    from quarter.vouchers.demo import load_voucher_demo

    assert load_voucher_demo() is None  # idempotent
