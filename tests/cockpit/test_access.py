"""Who sees which regions, the period's validation, the population entries, and the links to lists."""

import pytest
from django.urls import reverse

from ltci.accounts.models import User
from ltci.accounts.roles import COCKPIT_VIEW, LEDGER_MANAGE, ROLE_PERMISSIONS, Role
from ltci.audit.models import Action, AuditEvent
from ltci.cockpit import population
from ltci.cockpit.models import Population

from . import data


@pytest.fixture
def both(world):
    """Known data at home (Xuzhou); at away (Nanning) 7 more certified carers and its own population."""
    data.build(world["home"])
    away = world["away"]
    for n in range(7):
        data.carer(away.region, 20 + n, institution=away.institution)
    population.record("xuzhou", world["home"].users[Role.BUREAU_ADMIN], year=2025, residents=800, elderly_60=200,
                      source="年鉴")
    population.record("nanning", away.users[Role.BUREAU_ADMIN], year=2025, residents=100, elderly_60=50, source="年鉴")
    return world


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("platform", password=None)


PERIOD = f"start={data.START}&end={data.END}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_only_roles_with_the_permission_open_the_cockpit(world, client_for, role):
    client = client_for(world["home"].users[role])
    expected = 200 if COCKPIT_VIEW in ROLE_PERMISSIONS[role] else 403
    assert client.get("/cockpit/").status_code == expected
    assert client.get("/api/cockpit").status_code == expected
    assert client.get("/cockpit/population/").status_code == expected


def test_a_region_user_never_sees_another_regions_numbers(both, client_for):
    client = client_for(both["home"].users[Role.SUPERVISOR])
    f = client.get(f"/api/cockpit?{PERIOD}").json()
    assert f["regions"] == ["xuzhou"]
    assert f["providers"]["certified_carers"] == 4 and f["insured"]["residents"] == 800
    assert client.get(f"/api/cockpit?region=nanning&{PERIOD}").status_code == 404
    assert client.get(f"/api/cockpit?region=all&{PERIOD}").status_code == 403
    assert client.get(f"/cockpit/?region=nanning&{PERIOD}").status_code == 404
    assert client.get(f"/api/cockpit?region=xuzhou&{PERIOD}").json()["providers"]["certified_carers"] == 4
    assert [p["region"] for p in client.get("/api/cockpit/population").json()] == ["xuzhou"]
    page = client.get(f"/cockpit/?{PERIOD}").content.decode()
    assert "南宁" not in page.split("<main")[1]


def test_all_regions_together_is_the_platform_administrators(both, admin, client_for):
    client = client_for(admin)
    together = client.get(f"/api/cockpit?{PERIOD}").json()
    assert together["region"] == "all" and set(together["regions"]) == {"changning", "jiaxing", "nanning", "nanzheng", "xuzhou"}
    assert together["providers"]["certified_carers"] == 4 + 8  # Nanning: the world's carer and 7 more
    # Regions without population figures leave the combined rate unknown, and say which.
    assert together["insured"]["coverage_rate"] is None
    missing = together["insured"]["population_missing"]
    assert len(missing) == 3 and "徐州市" not in missing and "南宁市" not in missing
    one = client.get(f"/api/cockpit?region=nanning&{PERIOD}").json()
    assert one["regions"] == ["nanning"] and one["providers"]["certified_carers"] == 8
    assert one["insured"]["coverage_rate"] == "2.00"  # 2 insured ÷ 100
    bad = client.get("/api/cockpit?region=atlantis")
    assert bad.status_code == 422 and bad.json()["field"] == "region"
    page = client.get(f"/cockpit/?{PERIOD}").content.decode()
    assert "驾驶舱 · 全部统筹地区" in page and 'option value="nanning"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("query, field, message", [
    ("start=2025-13", "start", "起始月份格式应为“年-月”"),
    ("start=abc&end=2025-03", "start", "起始月份格式应为“年-月”"),
    ("end=2025/03", "end", "截止月份格式应为“年-月”"),
    ("start=2025-06&end=2025-01", "end", "截止月份不能早于起始月份"),
    ("end=2999-01", "end", "截止月份不能晚于本月"),
    ("start=2015-01&end=2025-01", "start", "查询期间最长60个月"),
])
def test_a_bad_period_is_refused_in_chinese(world, client_for, query, field, message):
    client = client_for(world["home"].users[Role.BUREAU_ADMIN])
    response = client.get(f"/api/cockpit?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field and message in body["message"]
    page = client.get(f"/cockpit/?{query}")
    assert page.status_code == 422 and message in page.content.decode()


def test_every_figure_links_to_its_list(both, client_for):
    client = client_for(both["home"].users[Role.BUREAU_ADMIN])
    response = client.get(f"/cockpit/?{PERIOD}")
    page = response.content.decode()
    for href in ("/persons/?status=active", "/assessment/?state=certified", "/assessment/", "/fund/", "/institutions/",
                 "/cockpit/population/"):
        assert f'href="{href}"' in page, href
    f = response.context["f"]
    assert {r["url"] for r in f["beneficiaries"]["by_grade"]} == {"/assessment/?state=certified"}
    assert [r["url"] for r in f["applications"]["in_flow"]][:2] == ["/assessment/?state=submitted",
                                                                     "/assessment/?state=screened"]
    assert f["fund"]["months"][0]["url"] == "/fund/journals/?month=2025-01"
    assert f["providers"]["by_kind"][0]["url"] == "/institutions/"
    assert f["beneficiaries"]["by_mode"][0]["url"] == reverse("care:plan_list")
    assert 'id="cockpit-data"' in page and "vendor/echarts.min.js" in page and "cockpit/cockpit.js" in page


def test_hits_and_cases_link_to_the_supervision_lists(both, client_for):
    """Against the supervision app's lists `supervision:hits` (rule, month, status) and `supervision:cases`."""
    hits, cases = reverse("supervision:hits"), reverse("supervision:cases")
    client = client_for(both["home"].users[Role.AUDITOR])
    f = client.get(f"/cockpit/?{PERIOD}").context["f"]
    r1, _ = data.rule_codes()
    row = f["supervision"]["by_rule"][0]
    assert row["url"] == f"{hits}?rule={r1}"
    assert row["status_urls"]["confirmed"] == f"{hits}?rule={r1}&status=confirmed"
    assert f["supervision"]["cases"][0]["url"] == f"{cases}?status=open"
    one_month = client.get("/cockpit/?start=2025-02&end=2025-02").context["f"]
    assert one_month["supervision"]["by_rule"][0]["url"] == f"{hits}?rule={r1}&month=2025-02"


def test_the_platform_administrators_figures_link_to_no_list_of_people_or_money(both, admin, client_for):
    """He reads the figures of every region, but not the lists behind them (docs/decisions/0015)."""
    for query in (f"region=xuzhou&{PERIOD}", PERIOD):
        f = client_for(admin).get(f"/cockpit/?{query}").context["f"]
        assert f["fund"]["balance"] and f["providers"]["certified_carers"] >= 4
        assert {m["url"] for m in f["fund"]["months"]} == {None} and {c["url"] for c in f["fund"]["cover"]} == {None}
        assert {r["url"] for r in f["beneficiaries"]["by_grade"] + f["providers"]["by_kind"]} <= {None}
        assert {r["url"] for r in f["supervision"]["by_rule"] + f["supervision"]["cases"]} <= {None}
        assert [k for k, v in f["links"].items() if v] == ["population"]


# --- population entries -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_bureau_enters_population_over_the_api_and_it_is_audited(world, client_for):
    user = world["home"].users[Role.BUREAU_ADMIN]
    client = client_for(user)
    response = client.post("/api/cockpit/population", {"year": 2025, "residents": "1000", "elderly_60": 300,
                                                        "source": "2025年统计年鉴"}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["region"], body["year"], body["residents"], body["elderly_60"]) == ("xuzhou", 2025, 1000, 300)
    entry = Population.objects.get()
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="cockpit.population",
                                     object_id=str(entry.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    ({"year": "二〇二五", "residents": 1000, "elderly_60": 300, "source": "年鉴"}, "year"),
    ({"year": 1999, "residents": 1000, "elderly_60": 300, "source": "年鉴"}, "year"),
    ({"year": 2025, "residents": -5, "elderly_60": 0, "source": "年鉴"}, "residents"),
    ({"year": 2025, "residents": 0, "elderly_60": 0, "source": "年鉴"}, "residents"),
    ({"year": 2025, "residents": 100, "elderly_60": 12.5, "source": "年鉴"}, "elderly_60"),
    ({"year": 2025, "residents": 100, "elderly_60": 101, "source": "年鉴"}, "elderly_60"),
    ({"year": 2025, "residents": 100, "elderly_60": 10, "source": "  "}, "source"),
])
def test_bad_population_input_is_refused_naming_the_field_and_changes_nothing(world, client_for, body, field):
    client = client_for(world["home"].users[Role.BUREAU_ADMIN])
    response = client.post("/api/cockpit/population", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == field, response.content
    assert not Population.objects.exists()
    assert not AuditEvent.objects.filter(object_type="cockpit.population").exists()


@pytest.mark.django_db
def test_population_entry_needs_the_permission_and_stays_in_the_region(world, client_for):
    body = {"year": 2025, "residents": 100, "elderly_60": 10, "source": "年鉴"}
    auditor = client_for(world["home"].users[Role.AUDITOR])  # sees the cockpit, enters nothing
    assert LEDGER_MANAGE not in ROLE_PERMISSIONS[Role.AUDITOR]
    assert auditor.post("/api/cockpit/population", body, content_type="application/json").status_code == 403
    assert auditor.post("/cockpit/population/", body).status_code == 403
    admin = client_for(world["home"].users[Role.BUREAU_ADMIN])
    assert admin.post("/api/cockpit/population", {**body, "region": "nanning"},
                      content_type="application/json").status_code == 404
    assert not Population.objects.exists()


@pytest.mark.django_db
def test_the_population_page_enters_and_lists(world, client_for):
    client = client_for(world["home"].users[Role.BUREAU_ADMIN])
    response = client.post("/cockpit/population/", {"year": "2025", "residents": "1000", "elderly_60": "300",
                                                    "source": "2025年统计年鉴"}, follow=True)
    page = response.content.decode()
    assert "已登记徐州市2025年人口数据" in page and "2025年统计年鉴" in page
    response = client.post("/cockpit/population/", {"year": "2025", "residents": "10", "elderly_60": "300",
                                                    "source": "x"}, follow=True)
    assert "60周岁及以上老年人口数不能多于户籍人口数" in response.content.decode()
    assert Population.objects.count() == 1
