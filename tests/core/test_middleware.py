"""The edge of the pages and of every response (ltci/core/middleware.py): a Content-Security-Policy
header, bodies over their route's limit refused unread, control characters refused in forms, a
refusal logged as one line, an unanswerable policy question as a 422 page."""

import inspect
import logging

import pytest
from django.urls import URLResolver, get_resolver, resolve

from ltci.api import api
from ltci.core import uploads
from ltci.enrolment.models import GroupMembership


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_every_response_carries_the_content_security_policy(client, db):
    for path in ("/login/", "/healthz", "/api/me", "/no-such-page/", "/static/core/console.css", "/api/docs"):
        policy = client.get(path).headers.get("Content-Security-Policy", "")
        assert "script-src 'self';" in policy and "style-src 'self';" in policy, (path, policy)
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_no_page_template_has_inline_script_style_or_handler():
    import re
    from pathlib import Path

    import ltci

    found = []
    for path in Path(ltci.__file__).parent.rglob("templates/**/*.html"):
        if "pdf" in path.name:  # rendered to PDF by WeasyPrint, never served as a page
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", r"<style", r"\sstyle=\"",
                        r"\son[a-z]+=\"", r"javascript:"):
            found += [f"{path.name}: {m}" for m in re.findall(pattern, text)]
    assert not found, found


def _routes(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.callback


def test_every_route_that_takes_files_has_its_body_limit():
    """An upload route left out would refuse every file above 2.5 MB; found from the code, so the
    next upload page or endpoint is caught."""
    takes_files = set()
    for route, view in _routes():
        if route.startswith("admin/") or route.startswith("api/"):
            continue
        source = inspect.getsource(inspect.unwrap(view)) if inspect.isfunction(inspect.unwrap(view)) else ""
        if "request.FILES" in source or "import_page(" in source:
            takes_files.add(route)
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                if any(m.__ninja_param_source__ == "file" for m in op.models):
                    takes_files.add(resolve("/api" + path.replace("{pk}", "1")).route)
    assert len(takes_files) >= 19
    assert takes_files == set(uploads.UPLOAD_ROUTES), takes_files ^ set(uploads.UPLOAD_ROUTES)


@pytest.mark.django_db
def test_a_body_over_its_route_s_limit_is_refused_before_it_is_read(world, client_for, settings):
    clerk = client_for(world["home"].users["clerk"])
    over = {"CONTENT_LENGTH": str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "wsgi.input": Unreadable()}
    response = clerk.generic("POST", "/api/persons", content_type="application/json", **over)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    response = clerk.generic("POST", f"/persons/{world['home'].person.pk}/groups",
                             content_type="application/x-www-form-urlencoded", **over)
    assert response.status_code == 413 and "提交的内容超过 2 MB" in response.content.decode()
    settings.MAX_IMPORT_BYTES = 4 * 1024 * 1024
    imports = uploads.body_limit("api/imports/roster")
    assert imports == 4 * 1024 * 1024 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = clerk.generic("POST", "/api/imports/roster", content_type="multipart/form-data; boundary=x",
                             **{"CONTENT_LENGTH": str(imports + 1), "wsgi.input": Unreadable()})
    assert response.status_code == 413
    settings.MATERIAL_MAX_BYTES = 1024 * 1024
    assert uploads.body_limit("api/my/applications") == 10 * 1024 * 1024 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.django_db
def test_an_upload_under_its_limit_is_read_although_over_the_form_limit(world, client_for, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    clerk = client_for(world["home"].users["clerk"])
    big = SimpleUploadedFile("roster.csv", b"id_number,name\n" + b"x" * 5000, content_type="text/csv")
    response = clerk.post("/api/imports/roster", {"file": big})
    assert response.status_code != 413


@pytest.mark.django_db
def test_a_page_form_with_a_control_character_is_refused_and_changes_nothing(world, client_for):
    home = world["home"]
    clerk = client_for(home.users["clerk"])
    before = GroupMembership.objects.count()
    response = clerk.post(f"/persons/{home.person.pk}/groups",
                          {"group": "low_income", "evidence": "E1\x00", "valid_from": "2025-01-01"})
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    response = clerk.post(f"/persons/{home.person.pk}/groups",
                          {"group": "low_income", "evidence": "E1\n2", "valid_from": "2025-01-01"})
    assert response.status_code == 400
    assert GroupMembership.objects.count() == before
    assert clerk.get("/persons/?q=%E7%8E%8B%00").status_code == 400
    assert clerk.get("/persons/?q=%E7%8E%8B").status_code == 200


@pytest.mark.django_db
def test_free_text_on_a_page_keeps_its_line_breaks(world, client_for):
    """A <textarea> (here the reason of a hold) sends CR LF; the edge lets it through to the view."""
    from ltci.core.middleware import _control_field
    from django.test import RequestFactory

    request = RequestFactory().post("/settlement/claims/1/action", {"reason": "第一行\r\n第二行", "note": "a\tb"})
    assert _control_field(request) is None
    request = RequestFactory().post("/settlement/claims/1/action", {"name": "a\tb"})
    assert _control_field(request) == "name"
    request = RequestFactory().post("/admin/regions/region/add/", {"description": "a\r\nb"})
    assert _control_field(request) is None


@pytest.mark.django_db
def test_a_refusal_is_one_log_line_with_who_and_what_and_no_traceback(world, client_for, caplog):
    carer = client_for(world["home"].users["carer"])
    with caplog.at_level(logging.INFO):
        assert carer.get("/persons/").status_code == 403
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in lines] == ["403 forbidden: xuzhou-carer GET /persons/ (from 127.0.0.1)"]
    assert all(r.exc_info is None for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert carer.get("/api/persons").status_code == 403
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in lines] == ["403 forbidden: xuzhou-carer GET /api/persons (from 127.0.0.1)"]
    assert all(r.exc_info is None for r in caplog.records)


@pytest.mark.django_db
def test_a_policy_question_no_page_refused_is_a_422_page_with_its_reason(world, client_for, monkeypatch):
    from ltci.core import views
    from ltci.policy.errors import PolicyError

    def unanswerable(*args):
        raise PolicyError("no policy version", "on", reason="1990-01-01早于徐州市长护险政策的施行日期（2022-01-01）")

    monkeypatch.setattr(views, "_region_summary", unanswerable)
    response = client_for(world["home"].users["clerk"]).get("/")
    assert response.status_code == 422
    assert "1990-01-01早于徐州市长护险政策的施行日期（2022-01-01）" in response.content.decode()
