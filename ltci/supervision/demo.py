"""Demo supervision: the last two months screened, cases opened for the institutions with the most
hits (one confirmed with a recovery, a carer's suspension and a fine above the dual-control
threshold waiting for a second clerk at /dual-control/, one dismissed, the others under
investigation by two auditors), and last month's random samples drawn, assigned and partly
checked. Re-running adds nothing: a region screened before is left alone.

The suspension falls on the demo carer's colleague (`<region>.carer.2`, whose login shows a
suspended carer's day), never on the demo carer: after `make run` the demo carer checks in."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.core.demo_names import unique_name
from ltci.core.models import Job, JobKind
from ltci.dualcontrol.threshold import threshold
from ltci.settlement import review
from ltci.settlement.models import ApprovalStatus, Line, LineKind
from ltci.settlement.review import StepRefused

from . import cases, rulebase, sampling, sanctions, screening
from .models import Hit, HitStatus, Sample, SampleMethod, SampleOutcome, SanctionKind

# A one-page PDF standing for the scanned record of an interview (询问笔录).
EVIDENCE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
                b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
                b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _months(today: date) -> tuple[date, date]:
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return (last - timedelta(days=1)).replace(day=1), last


def _second_auditor(region) -> User:
    username = f"{region.pk}.auditor.2"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(username=username, password=None, role=Role.AUDITOR, region=region,
                           full_name=unique_name(region.pk), is_demo=True)
        User.objects.filter(pk=user.pk).update(password=make_password(settings.DEMO_PASSWORD))
    return user


def build(options, rng) -> dict[str, int]:
    from ltci.regions.models import Region

    region = Region.objects.get(pk=options.region)
    if Job.objects.filter(kind=JobKind.SCREENING, region=region).exists():
        return {"screened months": 0}
    auditor = User.objects.filter(username=f"{region.pk}.auditor", is_demo=True).first()
    clerk = User.objects.filter(username=f"{region.pk}.clerk", is_demo=True).first()
    if auditor is None or clerk is None:
        return {"screened months": 0}
    second = _second_auditor(region)
    today = timezone.localdate()
    before, last = _months(today)
    for month in (before, last):
        screening.start_screening(region, f"{month:%Y-%m}", user=auditor, today=today)
    opened = _cases(region.pk, (before, last), auditor, second, clerk, today)
    checked = _samples(region.pk, last, auditor, second, clerk)
    return {"screened months": 2, "supervision cases": opened, "samples checked": checked}


def _cases(region: str, months: tuple[date, date], auditor, second, clerk, today: date) -> int:
    """A case for each of the three institutions with the most new hits of the two months (the
    largest split by person when only one institution has hits, so that a case can be dismissed)."""
    hits = Hit.objects.filter(region_id=region, month__in=months, status=HitStatus.NEW, institution__isnull=False)
    top = (hits.values("institution_id").annotate(n=Count("id")).order_by("-n", "institution_id")[:3])
    groups = [list(hits.filter(institution_id=row["institution_id"]).order_by("month", "id")
                   .values_list("pk", "person_id")) for row in top]
    if len(groups) == 1 and len(groups[0]) > 1:
        only = groups[0]
        first = min(h[1] for h in only)
        mine = [h for h in only if h[1] == first]
        groups = [mine, [h for h in only if h[1] != first]] if len(mine) < len(only) else [only[:1], only[1:]]
    made = [cases.open_case(region, [pk for pk, _ in g], auditor, assigned_to=auditor if n < 2 else second)
            for n, g in enumerate(groups) if g]
    # Confirm a case whose lines are not held already (the settlement demo holds one), so that its
    # recovery has something to take back, and which names a carer to suspend; dismiss another.
    made.sort(key=lambda c: (not _payable(cases.case_lines(c)), _carer_to_suspend(c) is None))
    if made:
        _confirm(made[0], auditor, clerk, today)
    if len(made) > 1:
        cases.decide(made[1], auditor, confirm=False,
                     finding="经调取定位轨迹并电话回访参保人，服务属实；偏差系设备定位误差，已提醒机构校准。")
    return len(made)


def _carer_to_suspend(case):
    """A carer the case names other than the demo carer and not suspended already, one with a login first."""
    named = (sanctions.case_carers(case).exclude(user__username=f"{case.region_id}.carer")
             .exclude(suspensions__end__gte=timezone.localdate()))
    return named.filter(user__isnull=False).order_by("id").first() or named.order_by("id").first()


def _payable(lines) -> bool:
    """Lines reviewed or approved already, or ready for review (neither held nor disputed): `_approve`
    brings them to approved, so a recovery has them to take back."""
    return lines.filter(approval__status__in=[ApprovalStatus.REVIEWED, ApprovalStatus.APPROVED,
                                              ApprovalStatus.PAID]).exists() or \
        review.waiting(lines).exists()


def _approve_lines_of(case, clerk) -> None:
    _approve(cases.case_lines(case), case.region_id, clerk)


def _approve(lines, region: str, clerk) -> None:
    """The lines' claims reviewed and approved before the audit found the problem, so that a
    recovery has paid-for lines to take back (the settlement demo's second clerk approves)."""
    approver = User.objects.filter(username=f"{region}.clerk.approver").first()
    if approver is None:
        return
    for claim in {ln.claim for ln in lines.select_related("claim")}:
        if review.waiting(claim).exists():
            review.review(claim, clerk, "稽核前已初审")
        for approval in claim.approvals.filter(status=ApprovalStatus.REVIEWED):
            review.approve(approval, approver, "复核通过")


def _confirm(case, auditor, clerk, today: date) -> None:
    _approve_lines_of(case, clerk)
    cases.decide(case, auditor, confirm=True, evidence=SimpleUploadedFile("询问笔录.pdf", EVIDENCE_PDF,
                                                                          "application/pdf"),
                 finding="经调取服务记录、定位轨迹并询问参保人家属，部分服务未实际提供，机构对此无异议。")
    try:
        sanctions.apply(case, clerk, SanctionKind.RECOVERY, reason="按服务协议追回违规结算的基金", today=today)
    except StepRefused:  # nothing of the case settled yet
        pass
    carer = _carer_to_suspend(case)
    if carer is not None:
        sanctions.apply(case, clerk, SanctionKind.CARER_SUSPENSION, reason="服务记录不实，暂停结算三个月",
                        carer_id=carer.pk, starts_on=today, ends_on=sanctions.add_months(today, 3), today=today)
    # A fine above the threshold: it waits for another clerk (`<region>.clerk.approver`) to approve it.
    limit, _ = threshold(case.region_id, today)
    sanctions.apply(case, clerk, SanctionKind.FINE, reason="按服务协议对虚记服务记录处以罚款",
                    amount=min(limit * 2, sanctions.fine_ceiling(case)[0]), today=today)


def _samples(region: str, month: date, auditor, second, clerk) -> int:
    """Last month's draw shared by the two auditors. Each has checked some; the first auditor's last
    one waits on the auditor's phone page for a home check."""
    if not rulebase.RuleSetting.objects.filter(region_id=region, rule=rulebase.SAMPLING).exists():
        # A demo of a few hundred people has too few visits for the default 2% to draw more than one.
        rulebase.change_setting(region, rulebase.SAMPLING, auditor, enabled=True, params={"share": "0.1"},
                                valid_from=month, reason="演示：小样本地区提高抽查比例")
    if not sampling.draw(region, month, auditor):
        return 0
    sampling.assign_evenly(region, month, auditor)

    def of(user):
        return list(Sample.objects.filter(region_id=region, month=month, assigned_to=user).order_by("id")[:5])

    done = [(s, auditor) for s in of(auditor)[:-1]] + [(s, second) for s in of(second)]
    # The visit found not provided is one the fund pays for, approved before the call, so that the
    # auditor's new finding can go on to a case and a recovery (which visits are drawn depends on
    # their ids, so it is chosen, not left to the draw).
    paid = [n for n, (sample, _) in enumerate(done) if _payable(_visit_lines(sample))]
    if len(done) > 1 and paid:
        done.insert(1, done.pop(paid[0]))
        _approve(_visit_lines(done[1][0]), region, clerk)
    outcomes = [(SampleMethod.CALL, SampleOutcome.CONFIRMED, "电话回访本人，确认当日服务及项目"),
                (SampleMethod.CALL, SampleOutcome.NOT_CONFIRMED, "家属称当日护理员未上门"),
                (SampleMethod.CALL, SampleOutcome.UNREACHABLE, "两次拨打无人接听"),
                (SampleMethod.CALL, SampleOutcome.CONFIRMED, "家属确认服务，满意")]
    for (sample, who), (method, outcome, note) in zip(done, outcomes):
        sampling.record_outcome(sample, who, method=method, outcome=outcome, note=note)
    return min(len(done), len(outcomes))


def _visit_lines(sample):
    """The settlement lines with fund money for the person, institution and month of a sample's visit."""
    visit = sample.visit
    return Line.objects.filter(claim__region_id=sample.region_id, claim__institution_id=visit.institution_id,
                               person_id=visit.person_id, service_month=sample.month, fund__gt=0).exclude(kind=LineKind.RECOVERY)

