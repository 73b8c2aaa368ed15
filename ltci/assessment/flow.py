"""The flow of an application: its states, and the only transitions between them, as data.

Every change of state goes through `services.move`, which refuses any action not allowed from the
current state with the reason; each move is kept as a `Transition` row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from ltci.accounts import roles


class State(models.TextChoices):
    SUBMITTED = "submitted", "已提交，待受理"
    SCREENED = "screened", "预评估通过，待受理"
    SCREENED_OUT = "screened_out", "预评估未通过"
    REFUSED = "refused", "不予受理"
    ACCEPTED = "accepted", "已受理，待派单"
    ASSIGNED = "assigned", "待现场评估"
    IN_REVIEW = "in_review", "专家复评中"
    IN_COMMITTEE = "in_committee", "委员会评定中"
    IN_PUBLICITY = "in_publicity", "公示中"
    IN_DISPUTE = "in_dispute", "争议复核中"
    CERTIFIED = "certified", "已出具评估结论"
    WITHDRAWN = "withdrawn", "已撤回"


FINAL = frozenset({State.SCREENED_OUT, State.REFUSED, State.CERTIFIED, State.WITHDRAWN})
OPEN = frozenset(State) - FINAL


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the application stays in its state (a repair of who works on it)
    permission: str | None  # None: the system itself (after a decision or at the end of publicity)


def _step(action, label, sources, target, permission):
    return action, Step(action, label, frozenset(sources), target, permission)


S = State
STEPS: dict[str, Step] = dict([
    _step("screen_pass", "预评估通过", [S.SUBMITTED], S.SCREENED, roles.APPLICATION_HANDLE),
    _step("screen_stop", "预评估终止", [S.SUBMITTED], S.SCREENED_OUT, roles.APPLICATION_HANDLE),
    _step("accept", "受理", [S.SUBMITTED, S.SCREENED], S.ACCEPTED, roles.APPLICATION_HANDLE),
    _step("refuse", "不予受理", [S.SUBMITTED, S.SCREENED], S.REFUSED, roles.APPLICATION_HANDLE),
    _step("assign", "派单给评估人员", [S.ACCEPTED], S.ASSIGNED, roles.APPLICATION_HANDLE),
    _step("record_visit", "提交现场评估", [S.ASSIGNED], S.IN_REVIEW, roles.SITE_ASSESS),
    _step("to_committee", "提交委员会评定", [S.IN_REVIEW], S.IN_COMMITTEE, None),
    _step("reassign", "改派评估人员", [S.ASSIGNED], None, roles.APPLICATION_HANDLE),
    _step("redraw", "重新抽取专家", [S.IN_REVIEW, S.IN_COMMITTEE, S.IN_DISPUTE], None, roles.APPLICATION_HANDLE),
    _step("conclude", "形成评估结论并公示", [S.IN_REVIEW, S.IN_COMMITTEE], S.IN_PUBLICITY, None),
    _step("deliver", "形成评估结论并送达（未达待遇等级，不公示）", [S.IN_REVIEW, S.IN_COMMITTEE], S.CERTIFIED, None),
    _step("object", "提出异议", [S.IN_PUBLICITY, S.CERTIFIED], S.IN_DISPUTE, roles.OBJECTION_FILE),
    _step("settle_dispute", "争议复核结论（终局）", [S.IN_DISPUTE], S.CERTIFIED, roles.COMMITTEE_DECIDE),
    _step("certify", "公示期满，出具结论", [S.IN_PUBLICITY], S.CERTIFIED, roles.APPLICATION_HANDLE),
    _step("withdraw", "撤回申请", [S.SUBMITTED, S.SCREENED, S.ACCEPTED, S.ASSIGNED], S.WITHDRAWN,
          roles.APPLICATION_SUBMIT),
])


def label(state: str) -> str:
    return State(state).label


def allowed_from(state: str) -> list[Step]:
    return [step for step in STEPS.values() if state in step.sources]
