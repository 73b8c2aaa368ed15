"""Demo: each region's pool of assessors and experts, and applications at every point of the flow,
dated over the last two years: certificates (one about to expire, one replaced by a lower grade),
conclusions in publicity, an objection before the committee, visits and reviews waiting for the
demo accounts, Changning's repeated re-assessment requests and Jiaxing's discovery leads."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.core.demo_names import unique_name
from ltci.core.exports import csv_file
from ltci.enrolment.models import Enrolment, EnrolmentStatus
from ltci.policy.scale import load_scale
from ltci.policy.self_assessment import activities
from ltci.providers.models import Institution

from . import discovery, services, tasks
from .flow import State
from .models import Application, Certificate, Evaluator, EvaluatorKind, LeadSource, Relation, Trigger

# A 1×1 PNG and a one-page PDF: stand-ins for the photo of a visit and a scanned discharge summary.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"
NAMES = ("陈志强", "林秀兰", "黄建华", "周玉珍", "吴德福", "郑桂英")  # preferred; a name already borne is skipped
TITLES = {"主任医师": "senior", "副主任医师": "associate_senior", "主管护师": "intermediate",
          "副主任护师": "associate_senior"}


def build(options, rng) -> dict[str, int]:
    region = options.region
    if Application.objects.filter(region_id=region).exists():
        return {"applications": 0}
    pool = _pool(region, rng)
    if pool is None:
        return {"applications": 0}
    services.DRAW = rng  # reproducible draws for the seed
    try:
        made = _walk_applications(region, rng, pool)
    finally:
        import secrets

        services.DRAW = secrets.SystemRandom()
    services.tick(region)
    return {"applications": made, "evaluators": Evaluator.objects.filter(region_id=region).count()}


def _pool(region: str, rng) -> dict | None:
    """The demo accounts of the assessor, expert and committee roles, and their colleagues of the pool
    (`<region>.pool1`…): a draw may pick any of them, so each logs in with the demo password in demo
    mode and is printed with the other logins. The committee is the demo account alone, so that a
    dispute always reaches its login."""
    from ltci.accounts.demo import demo_username

    # By username: the pool's accounts are demo accounts of the same roles.
    demo = {u.role: u for u in User.objects.filter(
        username__in=[demo_username(region, r) for r in (Role.ASSESSOR, Role.EXPERT, Role.COMMITTEE)])}
    if len(demo) < 3:
        return None
    if Evaluator.objects.filter(region_id=region).exists():  # made by an earlier run that drew no one
        return demo
    members = [(demo[Role.ASSESSOR], EvaluatorKind.ASSESSOR, False), (demo[Role.EXPERT], EvaluatorKind.EXPERT, False),
               (demo[Role.COMMITTEE], EvaluatorKind.EXPERT, True)]
    password = make_password(settings.DEMO_PASSWORD)
    for n, (role, kind, committee) in enumerate([(Role.ASSESSOR, EvaluatorKind.ASSESSOR, False)] * 2 +
                                                [(Role.EXPERT, EvaluatorKind.EXPERT, False)] * 3):
        user = create_user(username=f"{region}.pool{n + 1}", password=None, role=role,
                           region=demo[Role.ASSESSOR].region, full_name=unique_name(region, prefer=NAMES),
                           is_demo=True)
        User.objects.filter(pk=user.pk).update(password=password)
        members.append((user, kind, committee))
    name = demo[Role.ASSESSOR].region.name
    for user, kind, committee in members:
        # The committee sits apart from the body that visits: a dispute is reviewed by another body.
        title = rng.choice(sorted(TITLES))
        Evaluator.objects.create(region_id=region, user=user, kind=kind, committee=committee,
                                 title=title, title_rank=TITLES[title], body=f"{name}{'评估专家委员会' if committee else '长护险评估中心'}")
    return demo


def _candidates(region: str) -> list:
    """Enrolled people, oldest first; the demo insured account's person leads, so that its login has
    an application to follow."""
    insured = User.objects.filter(region_id=region, is_demo=True, role=Role.INSURED).first()
    people = [e.person for e in Enrolment.objects.filter(region_id=region, status=EnrolmentStatus.ACTIVE)
              .select_related("person").order_by("person__birth_date", "id")[:120]]
    if insured and insured.person in people:
        people.remove(insured.person)
        people.insert(0, insured.person)
    return people


DEPENDENT = {a: "dependent" for a in activities()}


def _scores(rng, rule) -> dict | None:
    """A filled-in scale of someone needing much help (most demo people reach a benefit grade)."""
    if rule.scale is None:
        return None
    scale = load_scale(rule.scale)
    out = {}
    for ind in scale.form():
        out[ind["id"]] = {}
        for item in ind["items"]:
            options = [score for score, _ in item["choices"]]
            out[ind["id"]][item["id"]] = rng.choice(options[: max(1, len(options) // 2)]) \
                if ind["id"] == "adl" else rng.choice(options)
    return out


def _walk_applications(region: str, rng, demo: dict) -> int:
    today = timezone.localdate()
    clerk = User.objects.get(region_id=region, is_demo=True, role=Role.CLERK)
    rule = services.rules(region, today)
    people = _candidates(region)
    institution = Institution.objects.filter(region_id=region).order_by("id").first()
    made = 0

    def submit(person, on, **extra):
        nonlocal made
        made += 1
        return services.submit(
            user=clerk, person=person, channel="counter", applicant_name=person.name[0] + "家属",
            applicant_relation=rng.choice([Relation.CHILD, Relation.SPOUSE]), applicant_phone="13900000000",
            disabled_since=on - timedelta(days=400), self_assessment=DEPENDENT,
            pledge_signed=True, materials=[("discharge_summary", SimpleUploadedFile("出院小结.pdf", PDF))],
            acceptance_point="社区卫生服务中心" if rule.screening else "", on=on, **extra)

    def to_visit(app, on):
        if rule.screening:
            services.screen(app, clerk, passed=True, note="预评估符合条件")
        services.accept(app, clerk, on=on)
        services.assign(app, clerk)

    def visited(app, on):
        to_visit(app, on)
        app.refresh_from_db()
        task = services.open_site_assessment(app)
        level = rng.choice(rule.benefit_grades) if rule.scale is None else ""
        services.record_visit(app, task.first.user, scores=_scores(rng, rule), level=level,
                              external_reference=f"SH{on:%Y%m%d}{app.pk:04d}" if level else "",
                              guardian=app.applicant_name, photo=SimpleUploadedFile("visit.png", PNG),
                              latitude="31.2200", longitude="121.4200",
                              visited_at=timezone.make_aware(timezone.datetime.combine(on, timezone.datetime.min.time()))
                              + timedelta(hours=10))

    def decided(app, on, *, agree=True):
        visited(app, on)
        app.refresh_from_db()
        proposal = app.site_assessments.order_by("-id").first().proposed_grade
        for review in app.reviews.select_related("expert__user"):
            grade = proposal if agree or review.pk % 2 else rule.grades[min(len(rule.grades) - 1,
                                                                              rule.grades.index(proposal) + 1)]
            services.decide(review, review.expert.user, grade=grade, reason="同意现场评估意见", on=on + timedelta(days=7))
        app.refresh_from_db()
        return app

    def certified(app, on):
        decided(app, on)
        app.refresh_from_db()
        if app.state == State.IN_REVIEW:  # a third expert was drawn
            for review in app.reviews.filter(decided_at__isnull=True).select_related("expert__user"):
                services.decide(review, review.expert.user, grade=app.reviews.first().grade, reason="多数意见",
                                on=on + timedelta(days=8))
            app.refresh_from_db()
        issued_on = min(app.publicity_until + timedelta(days=1), today)
        cert = services.certify(app, clerk, on=app.publicity_until + timedelta(days=1))
        # Issued on the demo's day, not when `make run` ran: the cockpit's time to a conclusion is
        # the span people would have waited (about three weeks), not the demo's age.
        Certificate.objects.filter(pk=cert.pk).update(
            issued_at=timezone.make_aware(datetime.combine(issued_on, time(10))))
        return app

    queue = list(people)

    def next_person(*days):
        """The first person left who passes the pre-check on each of `days` (paid up then, and so on)."""
        for person in queue:
            if not any(services.precheck(person, on, disabled_since=on - timedelta(days=400),
                                         self_assessment=DEPENDENT) for on in days or (today,)):
                queue.remove(person)
                return person
        return None

    # The insured account's person: a conclusion in publicity, to follow and object to.
    plan = [
        ("in_publicity", today - timedelta(days=3)),
        ("certified", today - timedelta(days=700)),  # expires within 60 days: a reminder
        ("certified", today - timedelta(days=420)),
        ("certified", today - timedelta(days=300)),
        ("certified", today - timedelta(days=21)),  # concluded lately: the cockpit's month has one
        ("superseded", today - timedelta(days=600)),
        ("dispute", today - timedelta(days=4)),
        ("in_review", today - timedelta(days=12)),
        ("in_review", today - timedelta(days=10)),
        ("assigned", today - timedelta(days=6)),
        ("assigned", today - timedelta(days=5)),
        ("accepted", today - timedelta(days=3)),
        ("submitted", today - timedelta(days=9)),  # past its intake deadline
        ("submitted", today - timedelta(days=1)),
        ("refused", today - timedelta(days=40)),
        ("withdrawn", today - timedelta(days=30)),
    ]
    if rule.screening:
        plan += [("screened", today - timedelta(days=2)), ("screened_out", today - timedelta(days=20))]
    for state, on in plan:
        # A superseded certificate's person applies again 300 days later: paid up then too.
        days = ((on - timedelta(days=10),) if state in ("in_publicity", "dispute")
                else (on, on + timedelta(days=300)) if state == "superseded" else (on,))
        person = next_person(*days)
        if person is None:
            break
        if state == "in_publicity":
            decided(submit(person, on - timedelta(days=10)), on - timedelta(days=10))
        elif state == "certified":
            certified(submit(person, on), on)
        elif state == "superseded":
            first = certified(submit(person, on), on)
            later = submit(person, on + timedelta(days=300), trigger=Trigger.CHANGE)
            certified(later, on + timedelta(days=300))
            if institution:
                Application.objects.filter(pk__in=[first.pk, later.pk]).update(serving_institution=institution)
        elif state == "dispute":
            app = decided(submit(person, on - timedelta(days=10)), on - timedelta(days=10))
            app.refresh_from_db()
            if app.state == State.IN_PUBLICITY:
                services.object_to(app, clerk, reason="家属认为等级偏低，申请复核", on=app.publicity_from)
        elif state == "in_review":
            visited(submit(person, on), on)
        elif state == "assigned":
            to_visit(submit(person, on), on)
        elif state == "accepted":
            app = submit(person, on)
            if rule.screening:
                services.screen(app, clerk, passed=True, note="预评估符合条件")
            services.accept(app, clerk, on=on)
        elif state == "submitted":
            submit(person, on)
        elif state == "refused":
            services.refuse(submit(person, on), clerk, reason="材料不全：缺少近期出院小结")
        elif state == "withdrawn":
            services.withdraw(submit(person, on), clerk, reason="家属撤回")
        elif state == "screened":
            services.screen(submit(person, on), clerk, passed=True, note="预评估符合条件")
        elif state == "screened_out":
            services.screen(submit(person, on), clerk, passed=False, note="预评估明显达不到待遇等级")
    # Work waiting for each demo login (who is drawn is random: top up until the account has some).
    for user, ready in ((demo[Role.ASSESSOR], to_visit), (demo[Role.EXPERT], visited)):
        waiting = tasks.site_tasks_for if ready is to_visit else tasks.reviews_for
        for _ in range(4):
            on = today - timedelta(days=2)
            person = None if waiting(user).exists() else next_person(on)
            if person is None:
                break
            ready(submit(person, on), on)
    if rule.screening:
        made += _repeat_requests(region, rng, clerk, submit, certified, next_person, institution, today)
    if rule.active_discovery:
        _leads(region, clerk, [p for p in (next_person() for _ in range(6)) if p], today)
    return made


def _repeat_requests(region, rng, clerk, submit, certified, next_person, institution, today) -> int:
    """Changning 二(二)1: people asking again and again, refused at intake, for the ranking to show."""
    made = 0
    for repeats in (4, 2):
        person = next_person(today - timedelta(days=720))
        if person is None:
            break
        first = certified(submit(person, today - timedelta(days=720)), today - timedelta(days=720))
        start = first.certificate.valid_from
        for n in range(repeats):
            on = start + timedelta(days=190 + 100 * n)
            app = submit(person, on, serving_institution=institution)
            services.refuse(app, clerk, reason="经核查身体状况无明显变化")
            made += 1
    return made


def _leads(region: str, clerk, people: list, today: date) -> None:
    """Jiaxing: a hospital's discharge list and a civil-affairs list, imported as a clerk would."""
    with tempfile.TemporaryDirectory() as folder:
        for source, chosen, detail in ((LeadSource.HOSPITAL_DISCHARGE, people[:4], "脑梗死后遗症出院"),
                                       (LeadSource.CIVIL_AFFAIRS, people[4:], "特困供养人员")):
            path = Path(folder) / f"{source}.csv"
            data, _ = csv_file(["证件号码", "姓名", "名单日期", "说明"],
                               ([person.id_number, person.name, today - timedelta(days=14), detail] for person in chosen))
            path.write_bytes(data)
            discovery.import_leads(region, source, path, clerk, on=today)
