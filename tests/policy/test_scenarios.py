"""Every scenario file pins its region's rules to the seed: `ltci scenario run` must agree with each case."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ltci.policy import scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REGION_FILES = sorted(SCENARIOS.glob("*.yaml"))
ERROR_FILES = sorted((SCENARIOS / "errors").glob("*.yaml"))
REGIONS = ("nanzheng", "xuzhou", "nanning", "jiaxing", "changning")


def ltci(*args):
    return subprocess.run([sys.executable, "-m", "ltci.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("path", REGION_FILES, ids=lambda p: p.stem)
def test_every_case_of_the_region_matches(path):
    outcomes = scenario.run_cases(scenario.load(path))
    failures = [o.as_dict() for o in outcomes if not o.ok]
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)
    assert all(case.get("expect") for case in scenario.load(path)), "every pinned case states what it expects"


def test_each_region_has_at_least_15_cases_of_its_own():
    counts = Counter(case["region"] for path in REGION_FILES for case in scenario.load(path))
    assert all(counts[r] >= 15 for r in REGIONS), counts


def test_each_case_carries_its_arithmetic():
    for path in REGION_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("- id:"):
                assert lines[i - 1].startswith("#"), f"{path.name}:{i + 1}: no comment with the arithmetic"


def test_the_command_prints_json_and_exits_0_when_all_match():
    result = ltci("scenario", "run", str(SCENARIOS / "xuzhou.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    out = {o["id"]: o for o in json.loads(result.stdout)}
    concrete = out["xz-inst-medical-student"]
    assert concrete["ok"] and concrete["mismatches"] == []
    assert concrete["result"]["fund"] == "2712.50" and concrete["result"]["personal"] == "697.50"
    assert concrete["result"]["lines"][0] == {
        "what": "生活照料床日费 60元 × 31天 × 75%（70%+5%）", "clause": "xuzhou 五(三)1, 五(三)1(3)",
        "payee": "institution", "fund": "1395.00", "personal": "465.00"}


def test_a_mismatch_is_spelled_out_and_exits_1(tmp_path):
    case = (SCENARIOS / "xuzhou.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(case.replace("expect: {fund: 2712.50, personal: 697.50}", "expect: {fund: 2712.49, personal: 697.50}"),
                     encoding="utf-8")
    result = ltci("scenario", "run", str(wrong))
    assert result.returncode == 1
    assert "MISMATCH  xz-inst-medical-student" in result.stdout
    assert 'fund: expected "2712.49", got "2712.50"' in result.stdout


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.stem)
def test_an_unanswerable_case_exits_2_naming_the_case_and_the_field(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect-error: ")
    wanted = first.removeprefix("# expect-error: ").strip()
    case_id = scenario.load(path)[0]["id"]
    result = ltci("scenario", "run", str(path))
    assert result.returncode == 2, result.stdout
    message = result.stderr.split(f"case {case_id}: ", 1)[1]  # what follows the case id
    assert wanted in message, result.stderr


def test_a_case_the_engine_chokes_on_names_itself_and_the_run_goes_on(monkeypatch):
    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(scenario.scalar, "benefit", boom)
    cases = [case for case in scenario.load(SCENARIOS / "nanzheng.yaml") if case["kind"] in ("benefit", "grade")]
    outcomes = scenario.run_cases(cases)
    broken = [o for o in outcomes if o.error]
    assert broken and all("could not be evaluated (ZeroDivisionError: division by zero)" in o.error for o in broken)
    assert broken[0].error.startswith(f"case {broken[0].id}: ")
    assert any(o.ok for o in outcomes)  # the grade cases still ran
    assert scenario.exit_status(outcomes) == 2


def test_an_expected_amount_that_is_no_number_is_malformed_not_a_mismatch():
    case = {"id": "c", "region": "nanzheng", "kind": "benefit", "on": "2021-05-01",
            "person": {"grade": "severe_2"}, "care": {"mode": "family_care"}}
    for bad in ("abc", True, [1], float("nan")):
        [out] = scenario.run_cases([{**case, "expect": {"fund": bad}}])
        assert out.error and out.error.startswith("case c: expect.fund: expected an amount") and not out.mismatches
    [out] = scenario.run_cases([{**case, "expect": {"fund": 450}}])
    assert out.ok


def test_a_malformed_file_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: a\n  region: xuzhou\n- id: a\n  region: xuzhou\n", encoding="utf-8")
    result = ltci("scenario", "run", str(bad))
    assert result.returncode == 2 and "case a: id: not unique" in result.stderr
    bad.write_text("{not: [a list", encoding="utf-8")
    assert ltci("scenario", "run", str(bad)).returncode == 2
