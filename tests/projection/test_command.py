"""`ltci project` on a demo region: the reader, the engine and the Chinese table end to end."""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_project_a_demo_region(tmp_path):
    call_command("demo", region=["nanning"], insured=300, seed=2026, stdout=StringIO())
    out, path = StringIO(), tmp_path / "nanning.json"
    call_command("project", region="nanning", years=10, runs=200, out=path, stdout=out)
    text = out.getvalue()
    assert "年度\t参保人数\t缴费收入（元）" in text
    assert "结论：" in text and "预警线" in text
    result = json.loads(path.read_text(encoding="utf-8"))
    assert [y["year"] for y in result["years"]] == list(range(result["years"][0]["year"], result["years"][0]["year"] + 10))
    first = result["years"][0]
    assert first["contributions"]["total"]["p50"] > 0  # the engine's rates on the register's bases
    assert set(first["contributions"]) == {"individual", "employer", "medical_fund", "fiscal", "total"}
    assert all(a["source"] for a in result["assumptions"])
    assert result["base_year"]["insured"] > 0


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="Spark prices the cells the projection reads, whatever the database: run once, on SQLite")
def test_the_projection_on_spark_gives_the_same_figures(tmp_path):
    call_command("demo", region=["xuzhou"], insured=300, seed=2026, stdout=StringIO())
    figures = {}
    for engine in ("polars", "spark"):
        path = tmp_path / f"{engine}.json"
        call_command("project", region="xuzhou", years=3, runs=20, out=path, engine=engine, master="local[2]",
                     stdout=StringIO())
        figures[engine] = json.loads(path.read_text(encoding="utf-8"))
    assert figures["spark"]["years"] == figures["polars"]["years"]
    assert figures["polars"]["years"][0]["contributions"]["total"]["p50"] > 0
