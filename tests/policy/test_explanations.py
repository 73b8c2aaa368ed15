"""The explanation lines clerks and the insured read: what was applied, in Chinese, with its clause."""

from datetime import date
from decimal import Decimal

from ltci.policy import scalar
from ltci.policy.inputs import Care, Event, Person
from ltci.policy.scale import load_scale

MAY = (date(2022, 5, 1), date(2022, 5, 31))


def whats(result):
    return [ln.what for ln in result.lines]


def test_fewer_days_than_the_care_period_are_explained_first_citing_p3_and_paying_nothing():
    care = Care("institution_care", *MAY, events=(Event("hospital", date(2022, 5, 10), date(2022, 5, 15)),
                                                  Event("death", date(2022, 5, 20))))
    result = scalar.benefit("xuzhou", date(2022, 5, 1), Person(grade="severe_2"), care)
    first = result.lines[0]
    assert first.what == "住院暂停5天、5月21日起因死亡停止，可享受待遇15天"
    assert first.clause == "平台规则 P3" and first.fund == first.personal == Decimal("0.00")
    assert result.eligible_days == 15 and result.fund == Decimal("630.00")
    only_stay = Care("institution_care", *MAY, events=(Event("hospital", date(2022, 5, 10), date(2022, 5, 15)),))
    assert whats(scalar.benefit("xuzhou", date(2022, 5, 1), Person(grade="severe_2"), only_stay))[0] == \
        "住院暂停5天，可享受待遇26天"
    # A part-month care period (from/to) is no suspension: nothing to explain beyond the proration.
    part = Care("home_visit", date(2022, 5, 11), date(2022, 5, 31))
    assert whats(scalar.benefit("xuzhou", date(2022, 5, 1), Person(grade="severe_2"), part)) == \
        ["上门照护服务包 900元/月 × 21/31天"]


def test_a_bonus_share_shows_its_parts_and_a_full_share_is_not_printed():
    student = scalar.benefit("xuzhou", date(2022, 5, 1), Person(grade="severe_2", groups=("student",)),
                             Care("institution_care", *MAY))
    assert whats(student) == ["生活照料床日费 60元 × 31天 × 75%（70%+5%）"]
    nanning = scalar.benefit("nanning", date(2024, 5, 1), Person(grade="severe_3"), Care("institution_care",
                             date(2024, 5, 1), date(2024, 5, 31)))
    assert whats(nanning) == ["机构护理床日费 66元 × 31天"]


def test_nanning_home_care_is_a_monthly_quota():
    result = scalar.benefit("nanning", date(2024, 5, 1), Person(grade="severe_1"),
                            Care("home_visit", date(2024, 5, 1), date(2024, 5, 31), items_cost=210000))
    assert whats(result) == ["居家护理服务项目费用 2100元，每月定额 1850元，按限额支付"]
    jiaxing = scalar.benefit("jiaxing", date(2023, 5, 1), Person(grade="severe_1"),
                             Care("home_care", date(2023, 5, 1), date(2023, 5, 31), cost=100000))
    assert whats(jiaxing) == ["居家护理费用 1000元 × 80%，月支付限额 1500元"]


def test_contribution_lines_skip_nothing_paid_and_a_subsidy_names_the_persons_own_groups():
    jiaxing = scalar.contribution("jiaxing", date(2023, 1, 1), Person(scheme="resident"))
    assert whats(jiaxing) == ["个人缴费 30元", "财政补助 90元"]  # no "医保统筹基金划转 0元"
    xuzhou = scalar.contribution("xuzhou", date(2023, 1, 1), Person(scheme="resident", age=40,
                                                                      groups=("student", "severe_disability")))
    assert whats(xuzhou)[-1] == "重度残疾人：个人缴费中 20元改由财政补助承担"
    aged = scalar.contribution("xuzhou", date(2023, 1, 1), Person(scheme="resident", age=75))
    assert whats(aged)[-1] == "70周岁及以上城乡居民：个人缴费中 20元改由财政补助承担"


def test_the_excluded_group_reason_comes_from_the_groups_label():
    person = Person(scheme="employee", grade="severe_1", groups=("work_injury_care",), disabled_since=date(2023, 1, 1),
                    contribution_months=24)
    [reason] = scalar.eligibility("nanning", date(2024, 3, 1), person).reasons
    assert reason.code == "excluded_group"
    assert reason.message == "已享受工伤保险生活护理费的工伤人员不参加南宁市长护险"


def test_platform_rules_are_cited_as_such():
    person = Person(scheme="employee", grade="severe_2", disabled_since=date(2023, 1, 1))
    [reason] = scalar.eligibility("jiaxing", date(2023, 3, 1), person).reasons
    assert reason.code == "disability_under_6_months" and reason.clause == "平台规则 P6"


def test_the_grade_combination_reads_without_a_doubled_word():
    intact = {"adl": dict.fromkeys(["eating", "dressing", "bowel", "bladder", "toilet", "stairs"], 10)
             | {"face_oral": 5, "bathing": 5, "walking": 15, "transfer": 15},
              "cognition": dict.fromkeys(["time", "person", "place", "memory"], 4),
              "perception": dict.fromkeys(["vision", "hearing", "communication"], 4)}
    scale = load_scale("national_2021")
    assert scale.grade(intact).lines[-1].what == "组合判定：日常生活活动能力完好，认知与感知觉沟通较重者能力完好 → 基本正常"
    severe = {**intact, "adl": dict.fromkeys(intact["adl"], 0)}
    graded = scale.grade(severe)
    assert graded.lines[-1].what == "组合判定：日常生活活动能力重度受损，认知与感知觉沟通较重者能力完好 → 重度失能Ⅰ级"
    assert graded.lines[0].what == "日常生活活动能力 0分：重度受损" and graded.as_dict()["adl_score"] == 0
