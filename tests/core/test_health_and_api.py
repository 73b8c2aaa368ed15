"""/healthz, the API's JSON errors, and the OpenAPI docs served from local files."""

import re

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder


def test_healthz_tells_the_public_only_ok_and_the_platform_administrator_why(client, admin_client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "worker": "none"}
    body = admin_client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["migrations"] == "ok"
    assert body["database_vendor"] == connection.vendor
    assert body["worker_heartbeat_age_seconds"] is None and {s["code"] for s in body["schedule"]} <= {
        "assessment_tick", "nightly_screening", "settlement_reminder"}


def test_healthz_reports_a_missing_migration(client, admin_client, db):
    MigrationRecorder.Migration.objects.filter(app="audit", name="0002_append_only_trigger").delete()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json() == {"status": "error"}
    response = admin_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["pending_migrations"] == ["audit.0002_append_only_trigger"]


def test_healthz_tells_other_logged_in_users_only_ok(world, client_for):
    response = client_for(world["home"].users["clerk"]).get("/healthz")
    assert response.json() == {"status": "ok", "worker": "none"}


def test_api_docs_use_local_assets_only(admin_client):
    response = admin_client.get("/api/docs")
    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert sources and all(s.startswith("/") for s in sources), sources
    schema = admin_client.get("/api/openapi.json").json()
    assert "/api/persons" in schema["paths"]


@pytest.mark.django_db
def test_api_errors_are_json_with_code_and_message(client, world, client_for):
    clerk = client_for(world["home"].users["clerk"])
    missing = clerk.get("/api/persons/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    unknown = clerk.get("/api/no-such-thing")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    bad_type = clerk.get("/api/persons/not-a-number")
    assert bad_type.status_code in (404, 422) and "code" in bad_type.json()
    bad_query = clerk.get("/api/persons?limit=abc")
    assert bad_query.status_code == 422
    assert bad_query.json()["field"] == "limit" and bad_query.json()["code"] == "invalid"
    bad_date = clerk.post("/api/persons", {"id_number": "11010519491231002X", "name": "赵丽", "birth_date": "1949-02-30"},
                          content_type="application/json")
    assert bad_date.status_code == 422 and bad_date.json()["field"] == "birth_date"
    mismatch = clerk.post("/api/persons", {"id_number": "11010519491231002X", "name": "赵丽", "sex": "M"},
                          content_type="application/json")
    assert mismatch.status_code == 422 and mismatch.json() == {
        "code": "invalid", "message": "性别与身份证号码不一致", "field": "sex",
        "errors": [{"field": "sex", "message": "性别与身份证号码不一致"}]}


def test_pages_answer_404_and_403_in_chinese(world, client_for):
    client = client_for(world["home"].users["carer"])
    response = client.get("/persons/")
    assert response.status_code == 403 and "无权访问" in response.content.decode()
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_a_policy_question_no_service_refused_answers_422_with_its_reason(world, client_for, monkeypatch):
    """The safety net under every API caller of the policy engine: its reason, never a 500."""
    from ltci.care import choices
    from ltci.policy.errors import PolicyError

    def unanswerable(*args, **kwargs):
        raise PolicyError("no policy version of xuzhou covers 1990-01-01", "on",
                          reason="1990-01-01早于徐州市长护险政策的施行日期（2022-01-01）")

    monkeypatch.setattr(choices, "choose", unanswerable)
    home = world["home"]
    response = client_for(home.users["clerk"]).post(
        f"/api/persons/{home.person.pk}/care-choices", {"mode": "home_visit", "effective_from": "1990-01-01"},
        content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": "1990-01-01早于徐州市长护险政策的施行日期（2022-01-01）",
                               "field": None}
