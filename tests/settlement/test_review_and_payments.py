"""Review in steps by different people, holds and disputes, the books each step writes, and payment."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from ltci.accounts.roles import Role
from ltci.care.models import CareChoice, FamilyCareDay
from ltci.fund.models import Journal, Posting
from ltci.providers.models import Carer
from ltci.settlement import payments, review, run
from ltci.settlement.models import Approval, ApprovalStatus, Claim, Line, PaymentBatch
from ltci.settlement.review import StepRefused

from .conftest import TODAY, approved_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(home):
    run.start_settlement(home.region, "2025-03", user=home.users[Role.CLERK], today=TODAY)
    return Claim.objects.get()


def balance(account: str, party: str = "") -> Decimal:
    qs = Posting.objects.filter(account=account, **({"party": party} if party else {}))
    t = qs.aggregate(d=Sum("debit"), c=Sum("credit"))
    return ((t["c"] or 0) - (t["d"] or 0)).quantize(Decimal("0.01"))


def balanced() -> bool:
    return all(sum(p.debit for p in j.postings.all()) == sum(p.credit for p in j.postings.all())
               for j in Journal.objects.prefetch_related("postings"))


def test_approval_needs_a_second_person_and_books_expense_against_the_payable(claim, clerks):
    approval = review.review(claim, clerks["reviewer"])
    assert approval.fund == Decimal("1395.00") and claim.lines.filter(approval=approval).count() == 1
    with pytest.raises(StepRefused, match="不同人员"):
        review.approve(approval, clerks["reviewer"])
    assert not Journal.objects.exists()
    review.approve(approval, clerks["approver"])
    party = f"institution:{claim.institution_id}"
    assert balance("2201", party) == Decimal("1395.00") and balance("5101") == Decimal("-1395.00")
    assert balanced()
    with pytest.raises(StepRefused):
        review.approve(approval, clerks["approver"])  # approved once, posted once
    assert Journal.objects.count() == 1


def test_a_returned_review_frees_its_lines(claim, clerks):
    approval = review.review(claim, clerks["reviewer"])
    review.send_back(approval, clerks["approver"], "床日与护理记录不符，请核对")
    assert Approval.objects.get().status == ApprovalStatus.RETURNED
    assert review.waiting(claim).count() == 1 and not Journal.objects.exists()


def test_a_held_line_waits_until_released(claim, clerks):
    line = Line.objects.get()
    held = review.hold(line, clerks["reviewer"], "疑点：签到距离超过300米")
    with pytest.raises(StepRefused, match="没有待审核"):
        review.review(claim, clerks["reviewer"])
    review.release(held, clerks["reviewer"])
    assert review.review(claim, clerks["reviewer"]).fund == line.fund


def test_a_disputed_line_waits_for_the_answer(claim, home, clerks):
    line = Line.objects.get()
    d = review.dispute(line, home.users[Role.INSTITUTION_ADMIN], "3月实际入住31天，床日数无误但等级应为重度二级")
    assert review.waiting(claim).count() == 0
    with pytest.raises(StepRefused):
        review.dispute(line, home.users[Role.INSTITUTION_ADMIN], "再次提出")
    review.answer(d, clerks["reviewer"], "等级以评估结论为准，维持结算")
    assert review.waiting(claim).count() == 1


def test_payment_pays_the_payable_once_through_a_third_person(claim, home, clerks):
    review.approve(review.review(claim, clerks["reviewer"]), clerks["approver"])
    with pytest.raises(StepRefused, match="未参与"):
        payments.make_batch(home.region.pk, clerks["approver"])
    with pytest.raises(StepRefused, match="缺少已复核的收款账户"):
        payments.make_batch(home.region.pk, clerks["payer"])
    approved_account(clerks["payer"], clerks["reviewer"], institution=home.institution,
                     account_name=home.institution.name, bank="中国工商银行徐州分行",
                     account_number="6222 0212 3456 7890 123")
    out = payments.make_batch(home.region.pk, clerks["payer"], paid_on=date(2025, 4, 10))
    batch = out.batch
    assert (batch.total, batch.payees) == (Decimal("1395.00"), 1)
    # credit − debit: the bank account went down by what was paid
    assert balance("2201", f"institution:{home.institution.pk}") == 0 and balance("1002") == Decimal("1395.00")
    assert balanced() and Approval.objects.get().status == ApprovalStatus.PAID
    with pytest.raises(StepRefused, match="没有待拨付"):
        payments.make_batch(home.region.pk, clerks["payer"])
    csv = payments.bank_file(batch, clerks["payer"]).decode("utf-8-sig")
    assert "62220212345678901 23".replace(" ", "") in csv.replace(" ", "") and "1395.00" in csv
    assert PaymentBatch.objects.count() == 1


def test_a_recovery_is_offset_against_what_is_owed_next(claim, home, clerks):
    review.approve(review.review(claim, clerks["reviewer"]), clerks["approver"])
    approved_account(clerks["payer"], clerks["reviewer"], institution=home.institution, account_name="护理院",
                     bank="工行", account_number="6222021234567890")
    payments.make_batch(home.region.pk, clerks["payer"])
    recovered = run.recover(Line.objects.get(), clerks["approver"], "虚报床日", today=TODAY)
    review.approve(review.review(recovered.claim, clerks["reviewer"]), clerks["approver"])
    party = f"institution:{home.institution.pk}"
    assert balance("2201", party) == Decimal("-1395.00")  # the institution owes the fund
    with pytest.raises(StepRefused, match="无应付金额"):
        payments.make_batch(home.region.pk, clerks["payer"])
    assert balanced()


def test_cash_benefits_are_owed_to_the_insured(home, clerks):
    """Xuzhou's visits plus family care: the family-care allowance goes to the insured person."""
    clerk = home.users[Role.CLERK]
    CareChoice.objects.create(region=home.region, person=home.person, mode="home_combined",
                              institution=home.institution, effective_from=date(2025, 3, 1), created_by=clerk)
    carer = Carer.objects.create(region=home.region, kind="family", name="王小明", id_number="110105196001010016",
                                 beneficiary=home.person, trained=True)
    FamilyCareDay.objects.bulk_create(FamilyCareDay(region=home.region, person=home.person, carer=carer,
                                                    day=date(2025, 3, d), entered_by=clerk) for d in range(1, 11))
    run.start_settlement(home.region, "2025-03", user=clerk, today=TODAY)
    cash = Claim.objects.get(institution__isnull=True)
    line = cash.lines.get()
    assert line.payee == "insured" and line.fund == Decimal("200.00")  # severe 20 a day × 10 days, trained
    review.approve(review.review(cash, clerks["reviewer"]), clerks["approver"])
    assert balance("2202", f"person:{home.person.pk}") == Decimal("200.00") and balance("5102") == Decimal("-200.00")


def test_the_ledger_check_holds_settlement_journals_to_their_lines_and_transfers(claim, home, clerks):
    from ltci.fund.ledger import check
    from ltci.settlement.models import Payment as Transfer

    review.approve(review.review(claim, clerks["reviewer"]), clerks["approver"])
    approved_account(clerks["payer"], clerks["reviewer"], institution=home.institution, account_name="护理院",
                     bank="工行", account_number="6222021234567890")
    batch = payments.make_batch(home.region.pk, clerks["payer"]).batch
    result = check(home.region.pk)
    assert result.ok, result.problems
    assert any("拨付 1 笔 1395.00 元" in line for line in result.lines)
    # A transfer the books never saw (written around the service) is found.
    Transfer.objects.create(batch=batch, payee_kind="institution", institution=home.institution, amount=10,
                            account_name="护理院", bank="工行", account_number="6222021234567890", reference="x")
    assert any("支付批次合计 1405.00 元不符" in p for p in check(home.region.pk).problems)
