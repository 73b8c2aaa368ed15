"""The platform administrator (a superuser): reference data, accounts and the all-region cockpit, no
person data and no step with money (docs/decisions/0015). Table-driven over every endpoint and page
of the scope tables, the navigation and the admin site's model list."""

import re

import pytest
from django.apps import apps
from django.urls import reverse

from ltci.accounts import roles
from ltci.accounts.models import User
from ltci.accounts.roles import ADMIN_SITE, PLATFORM_ADMIN, ROLE_PERMISSIONS, Role
from ltci.accounts.scope import visible
from ltci.audit.models import Action, AuditEvent
from ltci.core.nav import NAV, items_for

from .test_scope import ALLOWED_STATUS, API_ENDPOINTS, PAGES, _call, _path, target

# What no platform administrator may hold: the register, ID numbers, exports, the flows about people,
# and every step with money.
NEVER = {roles.PERSON_VIEW, roles.PERSON_VIEW_ID, roles.PERSON_CHANGE, roles.PERSON_EXPORT, roles.PERSON_IMPORT,
         roles.AUDIT_VIEW, roles.AUDIT_EXPORT, roles.CONTRIBUTION_VIEW, roles.CONTRIBUTION_BILL,
         roles.PAYMENT_RECORD, roles.CONTRIBUTION_EXPORT, roles.JOB_VIEW, roles.APPLICATION_VIEW,
         roles.APPLICATION_SUBMIT, roles.APPLICATION_HANDLE, roles.CERTIFICATE_VIEW, roles.CARE_VIEW,
         roles.CARE_CHANGE, roles.VISIT_RECORD, roles.CATALOGUE_CHANGE, roles.CLAIM_VIEW, roles.SETTLEMENT_RUN,
         roles.CLAIM_REVIEW, roles.CLAIM_APPROVE, roles.PAYMENT_MAKE, roles.LEDGER_VIEW, roles.LEDGER_MANAGE,
         roles.SUPERVISION_VIEW, roles.SUPERVISION_MANAGE, roles.SANCTION_APPLY, roles.CASE_DECIDE}
PERMISSIONS = ROLE_PERMISSIONS[PLATFORM_ADMIN]
# Lookups that need a region, which the platform administrator (of none) names: without one, 422 naming it.
NAMES_A_REGION = {("get", "/api/catalogue"): {422}}


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("root", password=None)


def test_the_platform_administrator_is_one_row_of_the_table(admin):
    assert admin.permissions == PERMISSIONS == {roles.REGION_VIEW, roles.USER_VIEW, roles.USER_MANAGE,
                                                roles.REFERENCE_MANAGE, roles.COCKPIT_VIEW}
    assert not PERMISSIONS & NEVER
    assert admin.reach == roles.Reach.PLATFORM
    User.objects.filter(pk=admin.pk).update(is_active=False)
    assert User.objects.get(pk=admin.pk).permissions == frozenset()


# --- the three findings ------------------------------------------------------------------------


def test_the_platform_administrator_reveals_no_id_number(world, admin, client_for):
    client = client_for(admin)
    nanning = world["away"].person
    for response in (client.post(f"/api/persons/{nanning.pk}/id-number"),
                     client.post(f"/persons/{nanning.pk}/id-number"), client.get(f"/persons/{nanning.pk}/"),
                     client.get(f"/api/persons/{nanning.pk}")):
        assert response.status_code == 403
        assert nanning.id_number.encode() not in response.content and nanning.name.encode() not in response.content
    assert not AuditEvent.objects.filter(action=Action.VIEW_ID).exists()


def test_the_platform_administrator_exports_nobody(world, admin, client_for):
    client = client_for(admin)
    for url in ("/api/persons/export?full_ids=true", "/persons/export.xlsx?full_ids=1", "/api/persons",
                "/audit/export.xlsx", "/contributions/payments/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert not response.get("Content-Disposition")
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


# (The claim approval refused to him is in tests/settlement/test_pages_and_api.py, beside its fixtures.)


# --- every endpoint and page of the scope tables -----------------------------------------------


def _may(permission, template: str) -> bool:
    return (permission is None or permission in PERMISSIONS) and not template.startswith(("/api/my", "/my/"))


@pytest.mark.django_db
def test_api_the_platform_administrator_reaches_exactly_his_permissions(world, admin, client_for):
    client = client_for(admin)
    reached = set()
    for method, template, permission, kind, body in API_ENDPOINTS:
        may = _may(permission, template)
        targets = [(None, template)] if kind is None else [
            (which, _path(template, target(world, kind, which))) for which in ("own", "other", "away")
            if not (kind in ("region", "job", "certificate") and which == "other")]
        for which, path in targets:
            response = _call(client, method, path, body, world)
            if not may:
                expected = {403}
            elif kind in (None, "region"):  # every region is his: Xuzhou and Nanning alike
                expected = {200, 201, 202} | ALLOWED_STATUS.get((method, template), set()) \
                    | NAMES_A_REGION.get((method, template), set())
            else:
                expected = {404}
            assert response.status_code in expected, (method, template, which, response.content[:300])
            if response.status_code < 300:
                reached.add((method, template))
            body_text = response.content.decode(errors="replace")
            for w in world.values():
                for person in (w.person, w.other_person):
                    assert person.id_number not in body_text and person.name not in body_text, (method, template)
    assert reached == {("get", "/api/me"), ("get", "/api/users"), ("get", "/api/regions"),
                       ("get", "/api/regions/{code}"), ("get", "/api/regions/{code}/continuations"),
                       ("get", "/api/cockpit"), ("get", "/api/cockpit/population")}
    me = client.get("/api/me").json()
    assert set(me["permissions"]) == PERMISSIONS and me["region"] is None


@pytest.mark.django_db
def test_pages_the_platform_administrator_reaches_exactly_his_permissions(world, admin, client_for):
    client = client_for(admin)
    for method, template, permission, kind in PAGES:
        may = _may(permission, template)
        whiches = ("own", "away") if kind in ("region", "job", "certificate") else ("own", "other", "away")
        targets = [("own", None)] if kind is None else [(w, target(world, kind, w)) for w in whiches]
        for which, value in targets:
            url = template.format(value) if value is not None else template
            response = getattr(client, method)(url)
            success = 302 if method == "post" and "id-number" not in url else 200
            expected = 403 if not may else success if kind in (None, "region") else 404
            assert response.status_code == expected, (url, which)
            for w in world.values():
                for person in (w.person, w.other_person):
                    assert person.id_number.encode() not in response.content, url
                    assert person.name.encode() not in response.content, url


def test_the_catalogue_lets_the_platform_administrator_pick_a_region(world, admin, client_for):
    client = client_for(admin)
    page = client.get("/institutions/catalogue/").content.decode()
    assert "请选择要查看的统筹地区" in page and 'href="?region=nanning"' in page
    page = client.get("/institutions/catalogue/?region=xuzhou").content.decode()
    assert "服务项目目录 · 徐州市" in page and "SC06" in page and "/institutions/catalogue/export.xlsx?region=xuzhou" in page
    export = client.get("/institutions/catalogue/export.xlsx?region=xuzhou")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    bad = client.get("/institutions/catalogue/?region=atlantis")
    assert bad.status_code == 422 and "没有统筹地区“atlantis”" in bad.content.decode()
    items = client.get("/api/catalogue?region=nanning").json()
    assert items and {"code", "unit_price"} <= set(items[0])
    missing = client.get("/api/catalogue")
    assert missing.status_code == 422 and missing.json()["field"] == "region"
    assert client.post("/institutions/catalogue/?region=xuzhou").status_code == 403  # prices are the agency's
    # A region's user stays in his own region whatever he names.
    clerk = client_for(world["home"].users[Role.CLERK])
    assert "徐州" in clerk.get("/institutions/catalogue/?region=nanning").content.decode()


@pytest.mark.django_db
def test_the_platform_administrators_scope_is_reference_data_and_accounts(world, admin):
    """Whatever a page asks for, no row of a person, a claim or a journal is in his scope."""
    reaching = []
    for model in apps.get_models():
        scope = getattr(model, "Scope", None)
        if scope is None:
            continue
        label = model._meta.label_lower
        rows = visible(model._default_manager.all(), admin)
        if getattr(scope, "reference", False) or label in ADMIN_SITE:
            reaching.append(label)
            assert rows.count() == model._default_manager.count(), label
        else:
            assert not rows.exists(), label
    assert {"enrolment.person", "assessment.application", "settlement.claim", "fund.journal"}.isdisjoint(reaching)
    assert {"accounts.user", "regions.region", "providers.catalogueitem"} <= set(reaching)


# --- the navigation ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", [*Role, PLATFORM_ADMIN])
def test_every_nav_link_answers(world, admin, client_for, who):
    user = admin if who == PLATFORM_ADMIN else world["home"].users[who]
    client = client_for(user)
    items = items_for(user)
    for item in items:
        assert client.get(item["url"]).status_code == 200, (who, item["label"])
    if who == PLATFORM_ADMIN:
        assert [i["label"] for i in items] == ["首页", "驾驶舱", "服务项目目录", "统筹地区与政策", "账号", "基础数据管理"]
        page = client.get("/").content.decode()
        assert "各地区启用的账号" in page and "参保人" not in page.split("<main")[1]
    assert {i.label for i in NAV} >= {i["label"] for i in items}


# --- the admin site ----------------------------------------------------------------------------


def test_the_admin_site_shows_reference_data_and_accounts_only(world, admin, client_for):
    client = client_for(admin)
    index = client.get("/admin/").content.decode()
    listed = set(re.findall(r'href="/admin/([a-z_]+)/([a-z_]+)/"', index))
    # Recusals are kept inline in their evaluator's page.
    assert {f"{app}.{model}" for app, model in listed} == set(ADMIN_SITE) - {"assessment.recusal"}
    for url in ("/admin/enrolment/person/", f"/admin/enrolment/person/{world['away'].person.pk}/change/"):
        assert client.get(url).status_code == 404, url
    event = AuditEvent.objects.first()
    assert client.get("/admin/audit/auditevent/").status_code == 403
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 403
    # Regions, policy versions and institutions are read-only there; nothing is ever deleted.
    assert client.get("/admin/regions/region/xuzhou/change/").status_code == 200
    assert client.post("/admin/regions/region/xuzhou/change/", {"name": "改名"}).status_code == 403
    assert client.get("/admin/regions/region/add/").status_code == 403
    assert client.get(f"/admin/providers/institution/{world['home'].institution.pk}/change/").status_code == 200
    clerk = world["home"].users[Role.CLERK]
    assert client.get(f"/admin/accounts/user/{clerk.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=clerk.pk).exists()


def test_a_region_user_never_enters_the_admin_site(world, client_for):
    clerk = world["home"].users[Role.CLERK]
    User.objects.filter(pk=clerk.pk).update(is_staff=True)  # even marked staff by hand
    client = client_for(User.objects.get(pk=clerk.pk))
    assert "accounts/user" not in client.get("/admin/").content.decode()
    assert client.get("/admin/accounts/user/").status_code == 403


def _user_form(**values):
    base = {"username": "xz-family", "usable_password": "true", "password1": "Correct-Horse-42",
            "password2": "Correct-Horse-42", "last_name": "王", "first_name": "小明", "role": Role.INSURED,
            "region": "xuzhou", "institution": "", "person_id_number": ""}
    return base | values


def test_the_platform_administrator_links_an_insured_account_by_id_number_and_sees_it_masked(world, admin,
                                                                                              client_for):
    client = client_for(admin)
    person, away = world["home"].person, world["away"].person
    # Another region's person is not there for a Xuzhou account; a name is never offered.
    refused = client.post("/admin/accounts/user/add/", _user_form(person_id_number=away.id_number))
    assert refused.status_code == 200 and "该统筹地区没有此证件号码的参保人" in refused.content.decode()
    assert away.name not in refused.content.decode()
    assert not User.objects.filter(username="xz-family").exists()
    made = client.post("/admin/accounts/user/add/", _user_form(person_id_number=person.id_number.lower() + " "))
    assert made.status_code == 302
    account = User.objects.get(username="xz-family")
    assert account.person == person and account.region_id == "xuzhou" and not account.is_staff
    page = client.get(f"/admin/accounts/user/{account.pk}/change/").content.decode()
    assert person.masked_id in page and person.id_number not in page and person.name not in page
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="accounts.user",
                                     object_id=str(account.pk)).exists()
    # Each lookup is on the trail, found or not, with the number masked: the form is no silent oracle.
    lookups = AuditEvent.objects.filter(action=Action.VIEW_ID, actor=admin).order_by("id")
    assert [(e.detail["found"], e.outcome, e.region_id) for e in lookups] == [(False, "failure", "xuzhou"),
                                                                              (True, "success", "xuzhou")]
    assert lookups[1].object_id == str(person.pk) and lookups[1].object_repr == person.masked_id
    assert away.id_number not in lookups[0].object_repr


def test_the_platform_administrator_deactivates_and_resets_accounts_on_the_trail(world, admin, client_for):
    client = client_for(admin)
    clerk = world["home"].users[Role.CLERK]
    page = client.get(f"/admin/accounts/user/{clerk.pk}/change/").content.decode()
    assert 'name="is_demo"' not in page  # read-only: clearing it would revive the demo password
    assert 'name="groups"' not in page and 'name="user_permissions"' not in page and 'name="is_staff"' not in page
    form = {"username": clerk.username, "last_name": "测", "first_name": "试用户", "email": "", "role": Role.CLERK,
            "region": "xuzhou", "institution": "", "person_id_number": "", "is_active": "",
            "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00"}
    assert client.post(f"/admin/accounts/user/{clerk.pk}/change/", form).status_code == 302
    assert not User.objects.get(pk=clerk.pk).is_active
    assert AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(clerk.pk),
                                     detail__changes__is_active__isnull=False).exists()
    response = client.post(f"/admin/accounts/user/{clerk.pk}/password/",
                           {"usable_password": "true", "password1": "Another-Horse-43", "password2": "Another-Horse-43",
                            "set-password": "1"})
    assert response.status_code == 302
    assert User.objects.get(pk=clerk.pk).check_password("Another-Horse-43")
    event = AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(clerk.pk)).latest("id")
    assert event.detail == {"password": "reset"} and event.actor == admin
    assert "Another-Horse-43" not in str(event.detail) and "argon2" not in str(event.detail)


def test_a_platform_administrator_has_no_region_role_or_person(world):
    from django.core.exceptions import ValidationError

    from ltci.accounts.services import create_user

    with pytest.raises(ValidationError) as err:
        create_user(username="root2", password=None, role=Role.CLERK, region=world["home"].region, is_superuser=True)
    assert {"role", "region"} <= set(err.value.message_dict)
    made = create_user(username="root3", password=None, role="", is_superuser=True)
    assert made.is_staff and made.permissions == PERMISSIONS


def test_the_cockpit_of_all_regions_links_to_no_list_of_people_or_money(world, admin, client_for):
    client = client_for(admin)
    response = client.get("/cockpit/")
    assert response.status_code == 200
    links = response.context["f"]["links"]
    assert links == {"insured": None, "population": reverse("cockpit:population"), "beneficiaries": None,
                     "applications": None, "fund": None, "institutions": None, "hits": None, "cases": None,
                     "settlement": None}
    body = response.content.decode()
    for path in ("/persons/", "/assessment/?", "/fund/", "/institutions/\"", "/supervision/", "/settlement/"):
        assert f'href="{path}' not in body, path
