"""Each rule of the rule base over hand-made frames: what it flags, what it leaves alone, and the
records and figures a hit names. Pure Polars: no database."""

import json
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from ltci.supervision import rulebase, rules
from ltci.supervision.frames import ID, LOCAL, VISIT_SCHEMA, Frames

MONTH = date(2025, 3, 1)
LAST = date(2025, 3, 31)
SCHEMAS = {
    "minutes": {"code": pl.String, "minutes": ID},
    "hospital": {"person_id": ID, "admitted": pl.Date, "discharged": pl.Date},
    "hospital_events": {"person_id": ID, "event_id": ID, "admitted": pl.Date},
    "deaths": {"person_id": ID, "died_on": pl.Date, "event_id": ID},
    "stays": {"stay_id": ID, "person_id": ID, "institution_id": ID, "admitted": pl.Date, "discharged": pl.Date},
    "family": {"family_id": ID, "person_id": ID, "carer_id": ID, "day": pl.Date},
    "choices": {"choice_id": ID, "person_id": ID, "institution_id": ID, "mode": pl.String, "effective_from": pl.Date},
    "plans": {"plan_id": ID, "person_id": ID, "valid_from": pl.Date, "confirmed_at": pl.String},
    "plan_items": {"plan_id": ID, "code": pl.String},
    "suspensions": {"suspension_id": ID, "carer_id": ID, "start": pl.Date, "end": pl.Date},
    "institutions": {"institution_id": ID, "filed_beds": ID, "status": pl.String, "suspended_from": pl.Date,
                     "suspended_until": pl.Date},
    "agreements": {"institution_id": ID, "start": pl.Date, "end": pl.Date},
    "reassessments": {"application_id": ID, "person_id": ID, "institution_id": ID, "submitted_on": pl.Date},
}
ALWAYS = {"agreements": [(1, date(2020, 1, 1), date(2030, 12, 31))]}


def v(visit_id, *, carer=7, person=1, institution=1, at=datetime(2025, 3, 3, 9, 0), minutes=60, checkin_m=20,
      checkout_m=20, face="passed", items=("SC06",)):
    return (visit_id, person, institution, carer, at, at + timedelta(minutes=minutes), at.date(), checkin_m,
            checkout_m, face, list(items))


def frames(visits=(), **rows) -> Frames:
    made = {name: pl.DataFrame(rows.get(name, ALWAYS.get(name, [])), schema=schema, orient="row")
            for name, schema in SCHEMAS.items()}
    return Frames(region="x", first=MONTH, last=LAST,
                  visits=pl.DataFrame(list(visits), schema=VISIT_SCHEMA, orient="row"), **made)


def hits(code, f, **params):
    rule = rulebase.RULES[code]
    out = rules.RULES[code](f, {**rule.params, **params})
    assert out.schema == pl.Schema(rules.OUT)
    return [{**row, "records": json.loads(row["records"]), "detail": json.loads(row["detail"])} for row in out.to_dicts()]


def test_every_rule_of_the_rule_base_has_its_function_and_a_template_it_can_fill():
    assert {code for code, rule in rulebase.RULES.items() if rule.screened} == set(rules.RULES)
    for code, rule in rulebase.RULES.items():
        assert rule.name and rule.basis and rule.severity in ("low", "medium", "high"), code


def test_overlapping_visits_of_one_carer_are_flagged_once_naming_both():
    f = frames([v(1, at=datetime(2025, 3, 3, 9, 0), minutes=60), v(2, person=2, at=datetime(2025, 3, 3, 9, 40)),
                v(3, at=datetime(2025, 3, 3, 11, 0)),  # after the others: fine
                v(4, carer=8, at=datetime(2025, 3, 3, 9, 10))])  # another carer at the same time: fine
    [hit] = hits("visit_overlap", f)
    assert hit["key"] == "visit:2" and hit["records"] == {"visit": [1, 2]} and hit["carer_id"] == 7
    assert hit["detail"]["overlap_minutes"] == 20
    assert rulebase.describe("visit_overlap", hit["detail"], {}) == "护理员同时段有2次上门服务，重叠20分钟"


def test_a_visit_inside_a_long_earlier_one_is_flagged_though_the_one_just_before_ended():
    f = frames([v(1, at=datetime(2025, 3, 3, 8, 0), minutes=240), v(2, at=datetime(2025, 3, 3, 9, 0), minutes=30),
                v(3, at=datetime(2025, 3, 3, 10, 0), minutes=30)])
    found = {h["key"]: h["records"]["visit"] for h in hits("visit_overlap", f)}
    assert found == {"visit:2": [1, 2], "visit:3": [1, 3]}  # both lie inside visit 1, which is named


def test_a_corrected_visit_keeps_the_key_of_its_first_version():
    f = frames([v(9, checkin_m=900)])
    f.visits = f.visits.with_columns(pl.lit(4, ID).alias("root_id"))  # visit 9 corrects visit 4
    [hit] = hits("checkin_far", f)
    assert hit["key"] == "visit:4" and hit["records"] == {"visit": [9]}


def test_the_current_month_counts_bed_days_only_through_today():
    f = frames(stays=[(5, 1, 3, date(2025, 2, 1), None), (6, 2, 3, date(2025, 3, 10), None)],
               institutions=[(3, 1, "active", None, None)])
    f.through = date(2025, 3, 12)
    [hit] = hits("beds_over_filed", f)
    assert hit["detail"]["days_over"] == 3  # 10–12 March, not to the end of the month


def test_a_check_in_or_out_farther_than_the_regions_distance():
    f = frames([v(1, checkin_m=301), v(2, checkin_m=300), v(3, checkout_m=900), v(4, checkin_m=None)])
    found = {h["key"]: h["detail"] for h in hits("checkin_far", f)}
    assert set(found) == {"visit:1", "visit:3"}
    assert found["visit:3"]["which"] == "签退" and found["visit:3"]["distance_m"] == 900
    assert [h["key"] for h in hits("checkin_far", f, distance_m=500)] == ["visit:3"]
    assert rulebase.describe("checkin_far", found["visit:1"], {"distance_m": 300}) == "签到位置距居所301米，超过300米"


def test_a_visit_shorter_than_its_items_standard_minutes():
    f = frames([v(1, minutes=40, items=("A", "B")), v(2, minutes=50, items=("A", "B")), v(3, minutes=5, items=("C",))],
               minutes=[("A", 30), ("B", 20)])  # C has no standard minutes: not judged
    [hit] = hits("visit_short", f)
    assert hit["key"] == "visit:1" and hit["detail"] == {"minutes": 40, "standard_minutes": 50}
    assert hits("visit_short", f, min_share="0.8") == []


def test_care_on_a_day_wholly_in_hospital_but_not_on_the_admission_or_discharge_day():
    f = frames([v(1, at=datetime(2025, 3, 5, 9)), v(2, at=datetime(2025, 3, 6, 9)), v(3, at=datetime(2025, 3, 9, 9)),
                v(4, person=2, at=datetime(2025, 3, 20, 9))],
               hospital=[(1, date(2025, 3, 5), date(2025, 3, 9)), (2, date(2025, 3, 15), None)],
               family=[(50, 1, 9, date(2025, 3, 7))])
    found = {h["key"]: h for h in hits("care_in_hospital", f)}
    assert set(found) == {"visit:2", "visit:4", "family_day:50"}
    assert found["family_day:50"]["records"] == {"family_day": [50], "care_event": []}  # no admission event here
    assert rulebase.describe("care_in_hospital", found["visit:2"]["detail"], {}) == "2025-03-06住院期间记录了上门服务"


def test_care_and_open_stays_after_death():
    f = frames([v(1, at=datetime(2025, 3, 10, 9)), v(2, at=datetime(2025, 3, 11, 9))],
               deaths=[(1, date(2025, 3, 10), 99), (2, date(2025, 3, 2), 98)],
               stays=[(5, 2, 3, date(2025, 1, 1), None), (6, 3, 3, date(2025, 1, 1), None)])
    found = {h["key"]: h for h in hits("care_after_death", f)}
    assert set(found) == {"visit:2", "stay:5"}
    assert found["stay:5"]["day"] == date(2025, 3, 3) and found["stay:5"]["records"] == {"stay": [5], "care_event": [98]}
    assert found["visit:2"]["records"] == {"visit": [2], "care_event": [99]}


def test_a_stay_is_flagged_after_death_only_for_a_bed_day_it_still_has_in_the_month():
    f = frames(deaths=[(1, date(2025, 1, 10), 99), (2, date(2025, 3, 10), 98)],
               stays=[(5, 1, 1, date(2024, 12, 1), date(2025, 3, 1)),  # left on 1 March: no bed-day in March
                      (6, 2, 1, date(2025, 3, 20), date(2025, 3, 20)),  # a same-day stay after death
                      (7, 2, 1, date(2025, 3, 11), date(2025, 3, 11))])
    found = {h["key"]: h["day"] for h in hits("care_after_death", f)}
    assert found == {"stay:6": date(2025, 3, 20), "stay:7": date(2025, 3, 11)}


def test_the_hospital_admission_behind_a_hit_is_named():
    f = frames([v(2, at=datetime(2025, 3, 6, 9))], hospital=[(1, date(2025, 3, 5), date(2025, 3, 9))],
               hospital_events=[(1, 77, date(2025, 3, 5))])
    [hit] = hits("care_in_hospital", f)
    assert hit["records"] == {"visit": [2], "care_event": [77]}


def test_home_care_inside_an_institutional_stay():
    f = frames([v(1, at=datetime(2025, 3, 10, 9)), v(2, at=datetime(2025, 3, 20, 9))],
               stays=[(5, 1, 3, date(2025, 3, 10), date(2025, 3, 15))])
    assert [h["key"] for h in hits("home_care_during_stay", f)] == []  # the admission day itself is allowed
    f = frames([v(1, at=datetime(2025, 3, 12, 9))], stays=[(5, 1, 3, date(2025, 3, 10), date(2025, 3, 15))])
    [hit] = hits("home_care_during_stay", f)
    assert hit["key"] == "visit:1" and hit["records"] == {"visit": [1], "stay": [5]}


def test_home_visit_and_family_care_on_one_day_unless_the_mode_allows_both():
    f = frames([v(1, at=datetime(2025, 3, 10, 9)), v(2, person=2, at=datetime(2025, 3, 10, 9))],
               family=[(50, 1, 9, date(2025, 3, 10)), (51, 2, 9, date(2025, 3, 10))],
               choices=[(1, 1, 1, "home_care", date(2025, 1, 1)), (2, 2, 1, "home_combined", date(2025, 1, 1))])
    [hit] = hits("home_and_family_same_day", f)
    assert hit["key"] == "person:1:2025-03-10" and hit["records"] == {"visit": [1], "family_day": [50]}


def test_bed_days_beyond_the_days_of_the_month():
    f = frames(stays=[(5, 1, 3, date(2025, 2, 1), None), (6, 1, 4, date(2025, 3, 20), date(2025, 4, 2)),
                      (7, 2, 3, date(2025, 2, 1), None)])
    [hit] = hits("bed_days_over_month", f)
    assert hit["person_id"] == 1 and hit["detail"] == {"bed_days": 43, "days_in_month": 31}
    assert hit["records"] == {"stay": [5, 6]}


def test_more_people_in_bed_than_filed_beds_is_one_hit_per_institution_naming_the_fullest_day():
    f = frames(stays=[(5, 1, 3, date(2025, 2, 1), None), (6, 2, 3, date(2025, 3, 10), date(2025, 3, 13)),
                      (7, 3, 3, date(2025, 3, 11), date(2025, 3, 12))],
               institutions=[(3, 2, "active", None, None)])
    [hit] = hits("beds_over_filed", f)
    assert hit["key"] == "institution:3" and hit["person_id"] is None
    assert hit["detail"] == {"day": "2025-03-11", "occupied": 3, "filed_beds": 2, "days_over": 1}


def test_failed_or_missing_face_checks():
    f = frames([v(1, face="passed"), v(2, face="failed"), v(3, face="not_done")])
    assert {h["key"]: h["detail"]["face_check"] for h in hits("face_check_failed", f)} == {
        "visit:2": "未通过", "visit:3": "未核验"}


def test_items_outside_the_plan_in_force_that_day():
    f = frames([v(1, at=datetime(2025, 3, 3, 9), items=("A", "B")), v(2, at=datetime(2025, 3, 20, 9), items=("B",)),
                v(3, person=2, items=("A",))],
               plans=[(10, 1, date(2025, 1, 1), "2025-01-01T00:00"), (11, 1, date(2025, 3, 15), "2025-03-10T00:00")],
               plan_items=[(10, "A"), (11, "A"), (11, "B")])
    found = {h["key"]: h for h in hits("item_not_in_plan", f)}
    assert set(found) == {"visit:1", "visit:3"}  # person 2 has no confirmed plan at all
    assert found["visit:1"]["detail"]["items"] == ["B"] and found["visit:1"]["records"] == {"visit": [1], "plan": [10]}
    assert found["visit:3"]["records"] == {"visit": [3], "plan": []}


def test_care_by_a_carer_whose_settlement_is_suspended():
    f = frames([v(1, at=datetime(2025, 3, 5, 9)), v(2, at=datetime(2025, 3, 25, 9))],
               family=[(50, 1, 7, date(2025, 3, 6))], suspensions=[(30, 7, date(2025, 3, 1), date(2025, 3, 10))])
    found = {h["key"]: h for h in hits("suspended_carer", f)}
    assert set(found) == {"visit:1", "family_day:50"}
    assert found["visit:1"]["records"] == {"visit": [1], "suspension": [30]}


def test_visits_without_an_agreement_and_new_clients_taken_while_suspended():
    f = frames([v(1, at=datetime(2025, 3, 5, 9)), v(2, institution=2, at=datetime(2025, 3, 5, 9))],
               agreements=[(1, date(2020, 1, 1), date(2030, 12, 31)), (2, date(2020, 1, 1), date(2025, 3, 1))],
               institutions=[(1, 0, "suspended", date(2025, 3, 1), date(2025, 5, 31))],
               choices=[(1, 5, 1, "home_care", date(2025, 3, 10)),  # new client during the suspension
                        (2, 6, 1, "home_care", date(2024, 6, 1)), (3, 6, 1, "home_care", date(2025, 3, 12))])
    found = {h["key"] for h in hits("suspended_institution", f)}
    assert found == {"visit:2", "care_choice:1"}


def test_repeated_requests_for_reassessment_within_the_window():
    f = frames(reassessments=[(1, 1, 3, date(2024, 3, 20)), (2, 1, 3, date(2025, 1, 10)), (3, 1, 3, date(2025, 3, 2)),
                              (4, 2, 3, date(2025, 2, 1)), (5, 3, None, date(2023, 1, 1))])
    found = {h["key"]: h for h in hits("reassessment_frequent", f, threshold=2, institution_threshold=3)}
    assert set(found) == {"person:1", "institution:3"}
    assert found["person:1"]["detail"]["count"] == 2  # March 2024 is outside the 12 months April 2024 – March 2025
    assert found["institution:3"]["records"] == {"application": [2, 3, 4]}
    assert rulebase.describe("reassessment_frequent", found["person:1"]["detail"], {}) == \
        "近12个月本人申请重新评估2次（阈值2次）"


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_every_rule_runs_on_an_empty_month(code):
    assert hits(code, frames(), **({"threshold": 1} if code == "reassessment_frequent" else {})) == []
