"""Jiaxing's targets by 2024 (clause 二 of seed 003, read from its parameter file) against actuals."""

from datetime import date

import pytest

from ltci.accounts.roles import Role
from ltci.cockpit import population
from ltci.cockpit.figures.targets import targets_of
from ltci.providers.catalogue import load
from tests.conftest import build_region_world

from . import data


@pytest.fixture
def jiaxing(db):
    world = build_region_world("jiaxing")  # 2 insured, 1 beneficiary (severe_1 from 2025-02), 1 certified carer
    for n in range(29):
        data.carer(world.region, 30 + n, institution=world.institution)  # 30 certified carers
    load("jiaxing", date(2024, 12, 31))
    return world


def test_the_targets_are_policy_data_with_their_clause():
    items, deadline, policy = targets_of("jiaxing", date(2024, 12, 31))
    assert deadline == "2024-12-31" and policy.version.code == "jiaxing-2022"
    assert [(t["key"], t["op"], str(t["value"])) for t in items] == [
        ("coverage_rate", ">=", "0.99"), ("beneficiaries_cumulative", ">", "45000"), ("service_items", ">=", "50"),
        ("certified_carers", ">", "4500"), ("carers_per_10k_elderly", ">=", "25"),
        ("supply_ratio", ">", str(1 / __import__("decimal").Decimal(6)))]
    assert {t["clause"] for t in items} == {"jiaxing 二"}
    assert targets_of("xuzhou", date(2024, 12, 31))[0] == []


def test_targets_against_actuals(jiaxing, client_for):
    admin = jiaxing.users[Role.BUREAU_ADMIN]
    population.record("jiaxing", admin, year=2025, residents=2, elderly_60=1, source="年鉴")  # 100 %, 300 000 per 10k
    client = client_for(admin)
    f = client.get("/api/cockpit?start=2025-01&end=2025-06").json()
    [t] = f["targets"]
    assert t["region"] == "jiaxing" and t["deadline"] == "2024-12-31"
    rows = {r["key"]: (r["label"], r["target"], r["actual"], r["met"]) for r in t["items"]}
    assert rows == {
        "coverage_rate": ("户籍人口参保率", "≥ 99.00%", "100.00%", True),
        "beneficiaries_cumulative": ("累计享受待遇人数", "＞ 45000", "1", False),
        "service_items": ("护理服务项目数", "≥ 50", "42", False),
        "certified_carers": ("持证护理员人数", "＞ 4500", "30", False),
        "carers_per_10k_elderly": ("每万名老年人口拥有持证护理员数", "≥ 25", "300000", True),
        "supply_ratio": ("护理服务供给比例（持证护理员:待遇享受人员）", "＞ 1:6", "1:0.03", True),
    }
    response = client.get("/cockpit/?start=2025-01&end=2025-06")
    links = {r["key"]: r["url"] for r in response.context["f"]["targets"][0]["items"]}
    assert links["coverage_rate"] == "/persons/?status=active" and links["supply_ratio"] == "/institutions/"
    page = response.content.decode()
    assert "嘉兴市试点目标与实际" in page and "嘉兴市 二" in page and "未达成" in page


def test_targets_needing_population_say_so(jiaxing, client_for):
    f = client_for(jiaxing.users[Role.BUREAU_ADMIN]).get("/api/cockpit?start=2025-01&end=2025-06").json()
    rows = {r["key"]: r for r in f["targets"][0]["items"]}
    assert rows["coverage_rate"]["met"] is None and rows["coverage_rate"]["missing"] == "未登记人口数据"
    assert rows["carers_per_10k_elderly"]["actual"] == "—"
    assert rows["certified_carers"]["met"] is False
