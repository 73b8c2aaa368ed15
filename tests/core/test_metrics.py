"""/metrics (ltci/core/metrics.py): request counts and latencies by route name and status, in
Prometheus's text format, to allowed addresses only; and the systemd units of the production guide."""

import configparser
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands
from prometheus_client.parser import text_string_to_metric_families

from ltci.core.metrics import parse_networks

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"


def _samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _count(samples: dict, view: str, status: str) -> float:
    key = ("django_http_responses_total_by_status_view_method_total",
           (("method", "GET"), ("status", status), ("view", view)))
    return samples.get(key, 0.0)


def test_metrics_count_a_request_by_route_name_and_status(client, db):
    before = _samples(client.get("/metrics").content.decode())
    client.get("/healthz")
    client.get("/institutions/999999/")  # a route with an id, not logged in: a redirect to login
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")  # Prometheus text format
    text = response.content.decode()
    after = _samples(text)
    assert _count(after, "healthz", "200") == _count(before, "healthz", "200") + 1
    views = {dict(labels).get("view") for (_, labels) in after} - {None}
    assert "institution_detail" in views or any(v.endswith("institution_detail") for v in views), views
    assert all("/" not in view and "999999" not in view for view in views), views  # by name, never by path
    assert any(name == "django_http_requests_latency_seconds_by_view_method_bucket"
               and dict(labels).get("view") == "healthz" for (name, labels) in after)


@pytest.mark.parametrize("meta", [
    {"REMOTE_ADDR": "203.0.113.5"},  # a client elsewhere
    {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_REAL_IP": "127.0.0.1"},  # naming itself loopback
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.5"},  # behind the local proxy
    {"REMOTE_ADDR": "10.20.0.7"},  # not allowed unless configured
])
def test_metrics_answer_404_to_an_address_not_allowed(client, db, meta):
    response = client.get("/metrics", **meta)
    assert response.status_code == 404
    assert b"django_http" not in response.content


def test_metrics_answer_the_administrators_network_when_configured(client, db, settings):
    settings.METRICS_ALLOWED = "127.0.0.1, 10.20.0.0/24, 2001:db8::/32"
    for meta in ({"REMOTE_ADDR": "10.20.0.7"}, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "10.20.0.9"},
                 {"REMOTE_ADDR": "2001:db8::5"}, {"REMOTE_ADDR": "::ffff:10.20.0.8"}):
        response = client.get("/metrics", **meta)
        assert response.status_code == 200, meta
        assert b"django_http_requests_total_by_method_total" in response.content
    assert client.get("/metrics", REMOTE_ADDR="10.20.1.7").status_code == 404


def test_a_malformed_network_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    assert [str(n) for n in parse_networks(" 127.0.0.1 ,::1,,10.0.0.0/8")] == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]
    with pytest.raises(ImproperlyConfigured):
        parse_networks("10.0.0.0/33")


# The systemd units of the README's production guide -------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys keep their case (ExecStart)
    parser.read(UNITS / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize("name, command", [("ltci-web.service", "serve"), ("ltci-worker.service", "worker")])
def test_the_systemd_units_run_the_platforms_commands(name, command):
    unit = _unit(name)
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "ltci" and argv[0].startswith("/") and argv[1] == command
    assert service["EnvironmentFile"].startswith("/etc/")
    assert service["Restart"] == "always" and service["User"] == "ltci"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "postgresql.service" in unit["Unit"]["After"]
    if command == "serve":
        assert service["Environment"].startswith("PROMETHEUS_MULTIPROC_DIR=/run/ltci-web")
        assert service["RuntimeDirectory"] == "ltci-web"  # emptied at every start, as multiprocess mode needs
    assert command in get_commands()


def test_the_web_units_options_are_the_serve_commands():
    """Every option the unit passes is one `ltci serve` takes."""
    from ltci.core.management.commands.serve import Command

    argv = shlex.split(_unit("ltci-web.service")["Service"]["ExecStart"])
    parser = Command().create_parser("ltci", "serve")
    parser.parse_args(argv[2:])  # exits (SystemExit) on an unknown option


def test_every_environment_variable_is_in_the_production_guide():
    """The README's table lists every variable the platform reads, and the example file sets none it does not."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = readme[readme.index("### Environment"):]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", guide, re.M))
    read = set()
    for path in (ROOT / "ltci").rglob("*.py"):
        read |= set(re.findall(r"os\.environ(?:\.get)?[\[(]\"([A-Z_]+)\"", path.read_text(encoding="utf-8")))
    read.add("PROMETHEUS_MULTIPROC_DIR")  # read by prometheus_client and django-prometheus
    assert read - listed == set(), read - listed
    example = (ROOT / "deploy" / "ltci.env.example").read_text(encoding="utf-8")
    assert set(re.findall(r"^([A-Z_]+)=", example, re.M)) <= listed
