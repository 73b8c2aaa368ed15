"""The audit trail records who did what, when (with offset), from where, to what, and how it ended."""

import io

import pytest
from django.db import connection, transaction
from openpyxl import load_workbook

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent, AuditTrailIsAppendOnly
from ltci.core.context import Actor, acting
from ltci.enrolment.models import GroupMembership, Person
from ltci.providers.models import Institution


def events(action, **kw):
    return AuditEvent.objects.filter(action=action, **kw)


def test_create_update_delete_of_business_data_are_recorded(world):
    home = world["home"]
    clerk = home.users[Role.CLERK]
    with acting(Actor(user=clerk, name=clerk.username, ip="10.1.2.3", channel="web", path="/x")):
        inst = Institution.objects.create(region=home.region, name="新机构", kind="medical",
                                          credit_code="12320311MB1234567X"[:17] + "0")
        inst.name = "新机构（更名）"
        inst.save()
        inst_pk = inst.pk
        inst.delete()
    created = events(Action.CREATE, object_type="providers.institution", object_id=str(inst_pk)).get()
    updated = events(Action.UPDATE, object_type="providers.institution", object_id=str(inst_pk)).get()
    deleted = events(Action.DELETE, object_type="providers.institution", object_id=str(inst_pk)).get()
    for e in (created, updated, deleted):
        assert e.actor == clerk and e.actor_role == "clerk" and e.ip == "10.1.2.3" and e.region_id == "xuzhou"
        assert e.outcome == "success" and e.channel == "web"
    assert updated.detail["changes"] == {"name": ["新机构", "新机构（更名）"]}
    assert created.at_iso.endswith("+08:00")


def test_a_save_that_changes_nothing_is_no_event(world):
    person = Person.objects.get(pk=world["home"].person.pk)
    before = AuditEvent.objects.count()
    person.save()
    assert AuditEvent.objects.count() == before


def test_api_writes_are_recorded_with_masked_id_numbers(world, client_for):
    clerk = world["home"].users[Role.CLERK]
    client = client_for(clerk)
    response = client.post("/api/persons", {"id_number": "11010519491231002X", "name": "赵丽", "phone": "13912345678"},
                           content_type="application/json", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 201
    pk = response.json()["id"]
    event = events(Action.CREATE, object_type="enrolment.person", object_id=str(pk)).get()
    assert event.actor == clerk and event.ip == "192.0.2.7" and event.channel == "api"
    assert event.detail["fields"]["id_number"] == "1101**********002X"
    assert "11010519491231002X" not in str(event.detail) + event.object_repr
    response = client.patch(f"/api/persons/{pk}", {"phone": "13800000000"}, content_type="application/json")
    assert response.status_code == 200
    change = events(Action.UPDATE, object_id=str(pk)).get()
    assert change.detail["changes"] == {"phone": ["13912345678", "13800000000"]}


def test_failed_writes_change_nothing_and_name_the_field(world, client_for):
    client = client_for(world["home"].users[Role.CLERK])
    before = (Person.objects.count(), AuditEvent.objects.filter(action=Action.CREATE).count())
    response = client.post("/api/persons", {"id_number": "110105194912310021", "name": "赵丽"},
                           content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == "id_number" and "校验位" in body["message"]
    response = client.post("/api/persons", {"name": "赵丽"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "id_number"
    response = client.patch(f"/api/persons/{world['home'].person.pk}", {"phone": "12345"},
                            content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "phone"
    assert (Person.objects.count(), AuditEvent.objects.filter(action=Action.CREATE).count()) == before


def test_revealing_an_id_number_is_recorded(world, client_for):
    home = world["home"]
    clerk = home.users[Role.CLERK]
    response = client_for(clerk).post(f"/api/persons/{home.person.pk}/id-number")
    assert response.json()["id_number"] == home.person.id_number
    event = events(Action.VIEW_ID).get()
    assert event.actor == clerk and event.object_id == str(home.person.pk) and event.region_id == "xuzhou"
    assert home.person.id_number not in event.object_repr
    page = client_for(clerk).post(f"/persons/{home.person.pk}/id-number")
    assert home.person.id_number in page.content.decode()
    assert events(Action.VIEW_ID).count() == 2


def test_viewing_health_data_is_recorded(world, client_for):
    home = world["home"]
    supervisor = home.users[Role.SUPERVISOR]
    client = client_for(supervisor)
    client.get(f"/api/persons/{home.person.pk}")  # holds a severe-disability membership
    client.get(f"/persons/{home.person.pk}/")
    assert events(Action.VIEW_HEALTH, actor=supervisor, object_id=str(home.person.pk)).count() == 2
    assert events(Action.VIEW_HEALTH)[0].detail == {"groups": ["severe_disability"]}
    client.get(f"/api/persons/{home.other_person.pk}")  # no health data on that record
    assert not events(Action.VIEW_HEALTH, object_id=str(home.other_person.pk)).exists()


def test_exports_are_recorded_and_masked(world, client_for):
    home = world["home"]
    auditor = home.users[Role.AUDITOR]
    response = client_for(auditor).get("/api/persons/export")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "证件号码" and len(rows) == 3
    numbers = {r[1] for r in rows[1:]}
    assert numbers == {home.person.masked_id, home.other_person.masked_id}
    event = events(Action.EXPORT).get()
    assert event.actor == auditor and event.detail["rows"] == 2 and event.detail["full_id_numbers"] is False
    full = client_for(auditor).get("/api/persons/export?full_ids=true")
    rows = list(load_workbook(io.BytesIO(full.content)).active.iter_rows(values_only=True))
    assert home.person.id_number in {r[1] for r in rows}
    assert events(Action.EXPORT).filter(detail__full_id_numbers=True).count() == 1
    # 财政/审计 may export, but never full numbers.
    assert client_for(home.users[Role.SUPERVISOR]).get("/api/persons/export?full_ids=true").status_code == 403


def test_out_of_scope_requests_are_recorded_as_denied(world, client_for):
    clerk = world["home"].users[Role.CLERK]
    away = world["away"].person
    assert client_for(clerk).get(f"/api/persons/{away.pk}").status_code == 404
    event = events(Action.DENIED).get()
    assert event.actor == clerk and event.outcome == "denied" and event.object_id == str(away.pk)


def test_auditors_search_the_trail_of_their_region(world, client_for):
    home, away = world["home"], world["away"]
    client_for(home.users[Role.CLERK]).post(f"/api/persons/{home.person.pk}/id-number")
    client_for(away.users[Role.CLERK]).post(f"/api/persons/{away.person.pk}/id-number")
    client = client_for(home.users[Role.AUDITOR])
    found = client.get("/api/audit/events?action=view_id").json()
    assert found["count"] == 1 and found["items"][0]["actor"] == "xuzhou-clerk"
    assert found["items"][0]["at"].endswith("+08:00")
    assert client.get("/api/audit/events?action=nonsense").json()["field"] == "action"
    page = client.get("/audit/?action=view_id")
    assert "xuzhou-clerk" in page.content.decode() and "nanning-clerk" not in page.content.decode()
    assert "日期格式" in client.get("/audit/?date_from=2026-13-01").content.decode()
    partial = client.get("/audit/?action=view_id", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "xuzhou-clerk" in partial
    export = client.get("/audit/export.xlsx?action=view_id")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "xuzhou-clerk"
    assert events(Action.EXPORT, object_type="audit.auditevent").count() == 1


def test_the_application_cannot_edit_or_delete_the_trail(world):
    event = AuditEvent.objects.first()
    event.object_repr = "tampered"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="tampered")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).object_repr != "tampered"


def test_the_admin_offers_the_trail_to_nobody(world, admin_client):
    """The trail holds people's names: not the platform administrator's (docs/decisions/0015), and never editable."""
    event = AuditEvent.objects.first()
    assert admin_client.get("/admin/audit/auditevent/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_refuses_update_and_delete_whatever_the_client(world):
    from django.db.utils import DatabaseError

    event = AuditEvent.objects.first()
    for sql in ("UPDATE audit_auditevent SET object_repr = 'x' WHERE id = %s",
                "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_group_memberships_log_evidence_masked(world):
    home = world["home"]
    GroupMembership.objects.create(region=home.region, person=home.other_person, group="severe_disability",
                                   evidence=home.other_person.id_number + "11", valid_from="2023-01-01")
    event = events(Action.CREATE, object_type="enrolment.groupmembership").latest("id")
    assert home.other_person.id_number not in str(event.detail)


def test_the_trail_is_searched_by_an_account_by_its_name_and_by_part_of_a_name_otherwise(world, client_for):
    home = world["home"]
    client_for(home.users[Role.CLERK]).post(f"/api/persons/{home.person.pk}/id-number")
    client = client_for(home.users[Role.AUDITOR])
    exact = client.get("/api/audit/events?actor=xuzhou-clerk&action=view_id").json()
    assert exact["count"] == 1 and exact["items"][0]["actor"] == "xuzhou-clerk"
    # No account is named "clerk": the part is looked for in every name.
    assert client.get("/api/audit/events?actor=clerk&action=view_id").json()["count"] == 1
    # An account without events finds none (not every name containing it).
    assert client.get("/api/audit/events?actor=xuzhou-auditor&action=view_id").json()["count"] == 0
