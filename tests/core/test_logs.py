"""Log lines (ltci/core/logs.py): one JSON object per line naming the request, its user and region;
the request id given back in X-Request-ID; ID numbers masked in every line."""

import io
import json
import logging
from datetime import date, datetime

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from ltci.audit.masking import MaskIdNumbersFilter, mask_id
from ltci.core import logs
from ltci.enrolment.idcard import make_id_number

ID_NUMBER = make_id_number("320311", date(1950, 1, 1), 123, "F")


@pytest.fixture
def lines():
    """The JSON lines logged meanwhile, through the handler settings.LOGGING configures (its filter
    and the JSON formatter), to a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(MaskIdNumbersFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def _request_lines(found):
    return [line for line in found if line["logger"] == "ltci.request"]


def test_a_request_logs_one_json_line_with_its_id_user_region_and_status(world, client_for, lines):
    clerk = world["home"].users["clerk"]
    response = client_for(clerk).get("/persons/")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    [line] = _request_lines(lines())
    assert line["request_id"] == request_id
    assert line["user"] == clerk.username == "xuzhou-clerk" and line["region"] == "xuzhou"
    assert line["path"] == "/persons/" and line["status"] == 200 and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float) and line["message"] == "GET /persons/ 200"
    when = datetime.fromisoformat(line["time"])
    assert line["time"].endswith("+08:00") and when.utcoffset().total_seconds() == 8 * 3600
    assert "测试用户" not in json.dumps(line, ensure_ascii=False)  # the username, never the person's name


def test_every_line_of_a_request_carries_its_id(client, lines, db):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="proxy-id-0001")
    assert response.status_code == 404 and response.headers["X-Request-ID"] == "proxy-id-0001"
    found = lines()
    assert {line["logger"] for line in found} >= {"django.request", "ltci.request"}
    for line in found:
        assert line["request_id"] == "proxy-id-0001" and line["user"] is None and line["region"] is None
    assert _request_lines(found)[0]["status"] == 404


@pytest.mark.parametrize("incoming", ["bad id with spaces", "x" * 65, "short", "a\"b<script>1234", "é-accented-id"])
def test_an_unsafe_incoming_request_id_is_replaced(client, lines, db, incoming):
    response = client.get("/login/", HTTP_X_REQUEST_ID=incoming)
    request_id = response.headers["X-Request-ID"]
    assert request_id != incoming and len(request_id) == 32 and request_id.isalnum()
    assert _request_lines(lines())[0]["request_id"] == request_id


def test_an_id_number_in_a_log_line_is_masked(lines):
    def view(request):
        logging.getLogger("ltci.enrolment").warning("找不到证件号码 %s", ID_NUMBER)
        try:
            raise ValueError(f"bad row {ID_NUMBER}")
        except ValueError:
            logging.getLogger("ltci.enrolment").exception("import failed")
        return HttpResponse("ok")

    request = RequestFactory().get(f"/persons/{ID_NUMBER}/")
    response = logs.RequestLogMiddleware(view)(request)
    text = json.dumps(lines(), ensure_ascii=False)
    assert ID_NUMBER not in text
    warning, failure, request_line = lines()
    assert warning["message"] == f"找不到证件号码 {mask_id(ID_NUMBER)}"
    assert warning["request_id"] == response.headers["X-Request-ID"] == request_line["request_id"]
    assert "ValueError: bad row" in failure["exception"] and mask_id(ID_NUMBER) in failure["exception"]
    assert request_line["path"] == f"/persons/{mask_id(ID_NUMBER)}/"


def test_static_files_served_well_are_logged_at_debug_only(client, lines, db):
    assert client.get("/static/core/console.css").status_code == 200
    assert client.get("/static/core/no-such-file.css").status_code == 404
    request_lines = _request_lines(lines())
    assert [(line["path"], line["level"]) for line in request_lines] == [("/static/core/no-such-file.css", "INFO")]


def test_lines_outside_a_request_name_none():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("ltci.test-outside")
    logger.addHandler(handler)
    try:
        logger.warning("nightly screening done")
    finally:
        logger.removeHandler(handler)
    line = json.loads(buffer.getvalue())
    assert line["message"] == "nightly screening done" and line["request_id"] is None and line["user"] is None


def test_the_plain_format_names_the_request_and_masks_too():
    record = logging.LogRecord("ltci.x", logging.INFO, __file__, 1, "证件 %s", (ID_NUMBER,), None)
    assert ID_NUMBER not in logs.PlainFormatter().format(record)
    assert mask_id(ID_NUMBER) in logs.PlainFormatter().format(record)


def test_json_in_production_plain_in_development_unless_chosen():
    assert logs.default_format(True, None) == "json"
    assert logs.default_format(False, "") == "plain"
    assert logs.default_format(True, "plain") == "plain"
    assert logs.default_format(False, "JSON") == "json"
    with pytest.raises(ImproperlyConfigured):
        logs.default_format(True, "xml")
    configured = settings.LOGGING
    assert configured["handlers"]["console"]["filters"] == ["mask_ids"]
    assert configured["handlers"]["console"]["formatter"] == settings.LOG_FORMAT
    assert set(configured["formatters"]) == {"plain", "json"}
