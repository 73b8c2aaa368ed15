"""A version past its end on paper: strict for the scenario contract, carried on (延续执行) on asking.

docs/decisions/0021: the platform always asks with `carry_over=True`; `ltci scenario run` keeps
scenarios.md's error unless run with `--carry-on`.
"""

import json
import subprocess
import sys
from datetime import date

import pytest

from ltci.policy import scalar, scenario
from ltci.policy.errors import PolicyError
from ltci.policy.inputs import Person
from ltci.policy.policies import clear_caches, policy_carried_on, policy_on


def ltci(*args):
    return subprocess.run([sys.executable, "-m", "ltci.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("code, ended, version", [("changning", date(2020, 12, 31), "changning-2020"),
                                                  ("jiaxing", date(2024, 12, 31), "jiaxing-2022"),
                                                  ("nanzheng", date(2022, 12, 31), "nanzheng-2021")])
def test_each_ended_document_is_carried_on_and_says_when_it_ended(code, ended, version):
    with pytest.raises(PolicyError) as exc:
        policy_on(code, date(2026, 12, 7))
    assert exc.value.field == "on" and "--carry-on" in exc.value.message
    policy = policy_on(code, date(2026, 12, 7), carry_over=True)
    assert policy.carried_on and policy.version.code == version and policy.ended_on == ended
    assert policy.standing == f"延续执行（文件原定{ended:%Y-%m-%d}到期）"
    within = policy_on(code, ended, carry_over=True)  # the last day on paper: in force, not carried
    assert not within.carried_on and within.standing == "" and within.ended_on is None
    assert policy_carried_on(code, date(2026, 12, 7))[1] is True


def test_before_the_first_version_nothing_is_carried_and_the_reason_is_chinese():
    with pytest.raises(PolicyError) as exc:
        policy_on("xuzhou", date(2019, 5, 1), carry_over=True)
    assert exc.value.words() == "2019-05-01早于徐州市长护险政策的施行日期（2022-01-01）"
    assert "--carry-on" not in exc.value.message  # there is nothing to carry on


def test_a_gap_between_versions_carries_the_earlier_on(tmp_path):
    from .test_sixth_region import REGION, VERSION

    region = tmp_path / "testville"
    region.mkdir()
    (region / "region.toml").write_text(REGION.replace("valid_to = 2025-12-31", "valid_to = 2025-06-30"),
                                        encoding="utf-8")
    for code in ("testville-2025", "testville-2026"):
        (region / f"{code}.toml").write_text(VERSION.format(individual="30.00", per_diem="50.00"), encoding="utf-8")
    clear_caches()
    try:
        policy = policy_on("testville", date(2025, 12, 20), tmp_path, carry_over=True)
        assert policy.carried_on and policy.version.code == "testville-2025" and policy.ended_on == date(2025, 6, 30)
        assert not policy_on("testville", date(2026, 1, 1), tmp_path, carry_over=True).carried_on
    finally:
        clear_caches()


def test_questions_answer_under_the_carried_version_only_on_asking():
    person = Person(scheme="employee", category="retired", birth_date=date(1948, 3, 5), groups=(),
                    enrolled_on=date(2021, 1, 1), paid_through=date(2026, 12, 31), contribution_months=60,
                    receiving=False)
    with pytest.raises(PolicyError):
        scalar.eligibility("jiaxing", date(2026, 12, 7), person, assessed=False)
    assert scalar.eligibility("jiaxing", date(2026, 12, 7), person, assessed=False, carry_over=True).eligible
    resident = Person(scheme="resident", birth_date=date(1948, 3, 5), groups=())
    with pytest.raises(PolicyError):
        scalar.contribution("jiaxing", date(2026, 1, 1), resident)
    paid = scalar.contribution("jiaxing", date(2026, 1, 1), resident, carry_over=True)
    assert paid == scalar.contribution("jiaxing", date(2024, 1, 1), resident)  # the 2022 plan's amounts


def test_words_are_chinese_whatever_the_message():
    assert PolicyError("expected a whole number, got 'x'", "scale.adl").words() == \
        "按现行政策无法办理此事项，请核对所填日期与内容"
    assert PolicyError("expected a whole number", "x").words("量表有误") == "量表有误"
    assert PolicyError("南宁市不提供此护理方式", "care.mode").words() == "南宁市不提供此护理方式"
    assert PolicyError("english", "on", reason="中文理由").words() == "中文理由"


CASE = """
- id: cn-after-2020
  region: changning
  kind: eligibility
  on: 2026-12-07
  person: {scheme: employee, category: retired, age: 80, grade: level_4, disabled_since: 2025-01-01}
  expect: {eligible: true}
- id: xz-within
  region: xuzhou
  kind: contribution
  on: 2026-01-01
  person: {scheme: resident, age: 40}
"""


def test_scenario_run_keeps_the_contract_and_carries_on_only_when_asked(tmp_path):
    path = tmp_path / "carry.yaml"
    path.write_text(CASE, encoding="utf-8")
    strict = ltci("scenario", "run", path)
    assert strict.returncode == 2  # scenarios.md: a date no policy version covers is an error
    assert "no policy version of changning covers 2026-12-07" in strict.stderr and "--carry-on" in strict.stderr

    carried = ltci("scenario", "run", path, "--carry-on", "--json")
    assert carried.returncode == 0, carried.stdout + carried.stderr
    first, second = json.loads(carried.stdout)
    assert first["ok"] and first["result"]["eligible"] is True
    assert first["carried_on"] == {"version": "changning-2020", "title": "2020年长宁区长期护理保险工作实施方案",
                                   "ended_on": "2020-12-31", "standing": "延续执行（文件原定2020-12-31到期）"}
    assert "carried_on" not in second  # within its term: nothing to say

    text = ltci("scenario", "run", path, "--carry-on")
    assert text.returncode == 0 and "延续执行（文件原定2020-12-31到期）" in text.stdout


def test_run_cases_marks_the_carried_outcome(tmp_path):
    path = tmp_path / "carry.yaml"
    path.write_text(CASE, encoding="utf-8")
    cases = scenario.load(path)
    strict, _ = scenario.run_cases(cases)
    assert strict.error and "延续执行" in strict.error
    carried, within = scenario.run_cases(cases, carry_over=True)
    assert carried.ok and carried.carried_on["ended_on"] == "2020-12-31" and within.carried_on is None


def test_policy_show_says_what_the_platform_applies():
    shown = ltci("policy", "show", "nanzheng", "--on", "2026-12-07")
    assert shown.returncode == 0, shown.stderr
    assert "延续执行（文件原定2022-12-31到期）" in shown.stdout.splitlines()[1]


def test_batch_carries_on_only_when_asked(tmp_path):
    import polars as pl

    src = tmp_path / "people.csv"
    src.write_text("person_id,scheme\n1,resident\n2,employee\n", encoding="utf-8")
    out = tmp_path / "dues.parquet"
    strict = ltci("batch", "contribution", "--region", "jiaxing", "--on", "2026-01-01", src, out)
    assert strict.returncode == 2 and "--carry-on" in strict.stderr and not out.exists()
    carried = ltci("batch", "contribution", "--region", "jiaxing", "--on", "2026-01-01", "--carry-on", src, out)
    assert carried.returncode == 0, carried.stderr
    assert [str(t) for t in pl.read_parquet(out)["total"]] == ["120.00", "120.00"]  # the 2022 plan's 30 + 90
