"""The API's edge (ltci/core/edge.py): integers that fit their column, text without control characters,
and an OpenAPI schema that says so and names each schema once. Table-driven over every operation,
so that the next endpoint is covered without a new test."""

import json
from urllib.parse import quote

import pytest
from ninja.openapi import schema as openapi

from ltci.api import api
from ltci.core import edge
from ltci.enrolment.models import Person

SCHEMA = api.get_openapi_schema()
COMPONENTS = SCHEMA["components"]["schemas"]
INT64 = (-(2**63), 2**63 - 1)
INT32_MAX = 2**31 - 1


def _resolve(schema: dict, seen=()) -> tuple[dict, tuple]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return COMPONENTS[name], (*seen, name)
    return schema, seen


def leaves(schema: dict, path: tuple = (), seen: tuple = ()):
    """(path, leaf schema) of every integer and free-text string in `schema`; a path step is a
    property name, `[]` for a list item or `{}` for a dict value. The string half of a decimal
    (anyOf number|string) is a number, not text."""
    schema, seen = _resolve(schema, seen)
    if len(seen) != len(set(seen)):
        return
    alternatives = schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", [])
    numeric = any(a.get("type") == "number" for a in alternatives)
    for alternative in alternatives:
        if not (numeric and alternative.get("type") == "string"):
            yield from leaves(alternative, path, seen)
    kind = schema.get("type")
    if kind == "integer":
        yield path, schema
    elif kind == "string" and "format" not in schema and "enum" not in schema and "const" not in schema:
        yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from leaves(sub, (*path, name), seen)
    if "items" in schema:
        yield from leaves(schema["items"], (*path, "[]"), seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from leaves(schema["additionalProperties"], (*path, "{}"), seen)


def inputs():
    """Every integer and text an operation takes: (method, path, where, field path, leaf schema)."""
    for url, operations in SCHEMA["paths"].items():
        for method, op in operations.items():
            for p in op.get("parameters", []):
                for path, leaf in leaves(p["schema"], (p["name"],)):
                    yield method, url, p["in"], path, leaf
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                where = "json" if media == "application/json" else "form"
                for path, leaf in leaves(content["schema"]):
                    yield method, url, where, path, leaf


INPUTS = list(inputs())
INTEGERS = [i for i in INPUTS if i[4]["type"] == "integer"]
TEXTS = [i for i in INPUTS if i[4]["type"] == "string"]


def _id(i) -> str:
    return f"{i[0].upper()} {i[1]} {i[2]}:{'.'.join(i[3])}"


def _name(path: tuple) -> str:
    return next(step for step in reversed(path) if step not in ("[]", "{}"))


def test_a_router_added_to_the_api_takes_only_what_the_edge_allows():
    """The mechanism, on a router of its own: plain annotations, a schema, a list."""
    from ninja import Form, Router, Schema
    from pydantic import Field

    class ThingIn(Schema):
        name: str
        note: str = ""
        count: int
        score: int = Field(3, ge=1, le=5)  # its own bounds win over the defaults
        code: str = Field("", pattern=r"^[A-Z]*$")
        owner_id: int | None = None
        tags: list[str] = []

    router = Router()

    @router.post("/things/{pk}")
    def make(request, pk: int, body: ThingIn, year: int = 2025, q: str = ""):
        return {}

    @router.post("/forms")
    def form(request, who: Form[str], title: Form[str] = "", count: Form[int] = 1, note: Form[str] = ""):
        return {}

    own = edge.EdgeAPI(urls_namespace="edge-test")
    own.add_router("/", router)
    schema = own.get_openapi_schema(path_prefix="")
    op = schema["paths"]["/things/{pk}"]["post"]
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert (params["pk"]["minimum"], params["pk"]["maximum"]) == (0, 2**63 - 1)
    assert (params["year"]["minimum"], params["year"]["maximum"]) == (1900, 2100)
    assert params["q"]["pattern"] == edge.LINE_PATTERN
    body = schema["components"]["schemas"]["ThingIn"]["properties"]
    assert body["name"]["pattern"] == edge.LINE_PATTERN and body["note"]["pattern"] == edge.TEXT_PATTERN
    assert (body["count"]["minimum"], body["count"]["maximum"]) == (0, 2**31 - 1)
    assert body["tags"]["items"]["pattern"] == edge.LINE_PATTERN
    assert (body["score"]["minimum"], body["score"]["maximum"]) == (1, 5) and body["code"]["pattern"] == "^[A-Z]*$"
    [form] = [c["schema"] for c in schema["paths"]["/forms"]["post"]["requestBody"]["content"].values()]
    assert form["required"] == ["who"]  # a form field's default stays its default
    assert form["properties"]["title"]["pattern"] == edge.LINE_PATTERN == form["properties"]["who"]["pattern"]
    assert form["properties"]["note"]["pattern"] == edge.TEXT_PATTERN
    assert form["properties"]["count"]["maximum"] == 2**31 - 1 and form["properties"]["count"]["default"] == 1


def test_there_are_inputs_to_walk():
    assert len(INTEGERS) > 100 and len(TEXTS) > 150, (len(INTEGERS), len(TEXTS))


@pytest.mark.parametrize("entry", INTEGERS, ids=_id)
def test_every_integer_input_declares_bounds_its_column_holds(entry):
    *_, path, leaf = entry
    low, high = leaf.get("minimum"), leaf.get("maximum")
    assert low is not None and high is not None, leaf
    assert INT64[0] <= low <= high <= INT64[1], leaf
    name = _name(path)
    if not (name in ("id", "pk") or name.endswith("_id")):
        assert high <= INT32_MAX, f"{name}: a count, score or year that lands in an integer column"


@pytest.mark.parametrize("entry", TEXTS, ids=_id)
def test_every_text_input_declares_it_refuses_control_characters(entry):
    import re

    *_, path, leaf = entry
    pattern = leaf.get("pattern")
    assert pattern, leaf
    assert not re.search(pattern, "a\x00b") and not re.search(pattern, "a\x1bb"), pattern
    if not edge.is_multiline(_name(path)):
        assert not re.search(pattern, "a\nb") and not re.search(pattern, "a\tb"), pattern


def _request(client, entry, bad):
    """The operation called with `bad` at one field (and placeholders in the path)."""
    method, url, where, path, _ = entry
    params = {p["name"] for ops in [SCHEMA["paths"][url]] for op in ops.values()
              for p in op.get("parameters", []) if p["in"] == "path"}
    target = url
    for name in params:
        value = bad if where == "path" and path[0] == name else "1"
        target = target.replace("{" + name + "}", quote(str(value), safe=""))
    call = getattr(client, method)
    if where == "query":
        body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
        return call(f"{target}?{path[0]}={quote(str(bad), safe='')}", **body)
    if where == "path":
        return call(target, content_type="application/json", data="{}") if method != "get" else call(target)
    value = bad
    for step in reversed(path):
        value = [value] if step == "[]" else {"k": value} if step == "{}" else {step: value}
    if where == "json":
        return call(target, data=json.dumps(value), content_type="application/json")
    return call(target, data={path[0]: bad})


def _refused(response, entry, reasons) -> bool:
    if response.status_code != 422:
        return False
    name = _name(entry[3])
    body = response.json()
    return any(e["message"] in reasons and name in (e["field"] or "").split(".") + ["k"]
               for e in body.get("errors", []))


@pytest.fixture
def clerk(world, client_for):
    return client_for(world["home"].users["clerk"])


@pytest.mark.django_db
def test_every_text_input_refuses_a_nul_naming_the_field(clerk):
    missed = []
    for entry in TEXTS:
        reasons = {edge.LINE_REASON, edge.TEXT_REASON}
        response = _request(clerk, entry, "王\x00秀英")
        if not _refused(response, entry, reasons):
            missed.append((_id(entry), response.status_code, response.content[:200]))
    assert not missed, missed


@pytest.mark.django_db
def test_every_integer_input_refuses_2_to_the_63_naming_the_field(clerk):
    missed = []
    for entry in INTEGERS:
        high = entry[4]["maximum"]
        response = _request(clerk, entry, 2**63)
        if not _refused(response, entry, {f"不能大于{high}"}):
            missed.append((_id(entry), response.status_code, response.content[:200]))
    assert not missed, missed


@pytest.mark.django_db
def test_the_issue_s_cases_answer_422_and_change_nothing(world, clerk, client_for):
    home = world["home"]
    response = clerk.get("/api/persons?offset=9223372036854775808")
    assert response.status_code == 422 and response.json()["field"] == "offset"
    assert response.json()["message"] == "offset: 不能大于2147483647"
    response = clerk.get("/api/persons?limit=501")  # the paginator's own bound stays
    assert response.status_code == 422 and response.json()["message"] == "limit: 不能大于500"
    carer = client_for(home.users["carer"])
    response = carer.post("/api/visits/checkin", {"request_id": "r1", "person_id": 2**63, "latitude": "34.2",
                                                  "longitude": "117.2"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "person_id"
    before = Person.objects.count()
    for field in ("name", "address"):
        body = {"id_number": "11010519491231002X", "name": "赵丽", "address": "解放路1号", field: "赵\x00丽"}
        response = clerk.post("/api/persons", body, content_type="application/json")
        assert response.status_code == 422 and response.json()["field"] == field, response.content
        assert response.json()["errors"][0]["message"] == edge.LINE_REASON
    assert Person.objects.count() == before
    person = home.person
    response = clerk.patch(f"/api/persons/{person.pk}", {"address": "解放路\n1号"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "address"


@pytest.mark.django_db
def test_free_text_keeps_its_line_breaks(world, client_for):
    home = world["home"]
    client = client_for(home.users["clerk"])
    response = client.post(f"/api/persons/{home.person.pk}/events",
                           {"kind": "death", "on": "2025-03-01", "note": "家属来电\n已核实", "reference": "R1"},
                           content_type="application/json")
    assert response.status_code != 422 or response.json()["field"] != "note", response.content
    response = client.post(f"/api/persons/{home.person.pk}/events",
                           {"kind": "death", "on": "2025-03-01", "note": "家属来电\x00", "reference": "R1"},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "note"
    assert response.json()["errors"][0]["message"] == edge.TEXT_REASON


def test_text_problem_for_imports():
    assert edge.text_problem("王秀英") is None and edge.text_problem("第一行\n第二行", multiline=True) is None
    assert edge.text_problem("王\x00秀英") == f"{edge.LINE_REASON}（第 2 个字符为 U+0000）"
    assert edge.text_problem("a\tb") and edge.text_problem("a\x85b", multiline=True)
    assert edge.text_problem("a\ud800b", multiline=True)


def test_no_two_schemas_of_different_shape_share_a_name(monkeypatch):
    """django-ninja keys components by class name: a second class of the same name silently
    replaced the first, and every operation of the first was described with the second's shape."""
    clashes = []
    merge = openapi.OpenAPISchema.add_schema_definitions

    def checked(self, definitions):
        for name, definition in definitions.items():
            if name in self.schemas and self.schemas[name] != definition:
                clashes.append(name)
        merge(self, definitions)

    monkeypatch.setattr(openapi.OpenAPISchema, "add_schema_definitions", checked)
    openapi.get_schema(api)
    assert not clashes, sorted(set(clashes))


def test_the_rating_score_is_described_as_it_is_returned():
    rating = COMPONENTS["RatingOut"]["properties"]["score"]
    assert {"type": "string"} in rating["anyOf"], rating
    assert COMPONENTS["MyRatingOut"]["properties"]["score"]["type"] == "integer"


def test_every_multiline_page_field_is_a_known_free_text_field():
    import re
    from pathlib import Path

    import ltci

    names = {m for path in Path(ltci.__file__).parent.rglob("*.html")
             for m in re.findall(r'<textarea[^>]*name="([^"]+)"', path.read_text(encoding="utf-8"))}
    assert names and names <= edge.MULTILINE_FIELDS, names - edge.MULTILINE_FIELDS
