"""The regions as data: five regions from the seeds, loaded from files; a sixth is just a new folder."""

from datetime import date

import pytest

from ltci.policy.regions import RegionDataError, load_regions

from .testville import REGION as SIXTH


def test_the_five_seed_regions_with_their_documents():
    regions = load_regions()
    assert list(regions) == ["changning", "jiaxing", "nanning", "nanzheng", "xuzhou"]
    assert regions["xuzhou"].name == "徐州市" and regions["xuzhou"].province == "江苏省"
    assert regions["xuzhou"].versions[0].document == "徐政办发〔2021〕86号"
    assert regions["xuzhou"].versions[0].valid_to is None
    assert regions["nanning"].versions[0].valid_from == date(2024, 1, 1)
    assert regions["nanning"].versions[0].valid_to == date(2028, 12, 31)
    assert regions["nanzheng"].version_on(date(2022, 6, 1)).code == "nanzheng-2021"
    assert regions["nanzheng"].version_on(date(2023, 1, 1)) is None
    assert regions["changning"].pooling_level == "municipal"
    for region in regions.values():
        assert region.centre is not None  # the demo places its homes around it
        assert region.districts and region.id_prefixes and all(len(p) == 6 for p in region.id_prefixes)
        assert all(v.seed for v in region.versions)


def test_a_sixth_region_is_a_new_folder(tmp_path):
    (tmp_path / "testville").mkdir()
    (tmp_path / "testville" / "region.toml").write_text(SIXTH, encoding="utf-8")
    region = load_regions(tmp_path)["testville"]
    assert region.version_on(date(2025, 6, 1)).code == "testville-2025"
    assert region.version_on(date(2030, 1, 1)).code == "testville-2026"
    assert region.version_on(date(2024, 12, 31)) is None
    assert region.centre == (30.0, 110.0)


@pytest.mark.parametrize("change, message", [
    (('pooling_level = "city"', 'pooling_level = "galaxy"'), "pooling_level"),
    (('valid_to = 2025-12-31', 'valid_to = 2026-06-30'), "overlap"),
    (('valid_from = 2025-01-01', 'valid_from = "soon"'), "expected a date"),
    (('name = "测试市"\n', ''), "missing field 'name'"),
    (('code = "testville"', 'code = "elsewhere"'), "differs from its folder"),
    (("latitude = 30.0", "latitude = 130.0"), "not a point on Earth"),
    (("latitude = 30.0", 'latitude = "north"'), "centre must be"),
])
def test_malformed_region_files_are_refused_with_the_field(tmp_path, change, message):
    (tmp_path / "testville").mkdir()
    (tmp_path / "testville" / "region.toml").write_text(SIXTH.replace(*change, 1), encoding="utf-8")
    with pytest.raises(RegionDataError, match=message):
        load_regions(tmp_path)


def test_the_policy_package_does_not_import_django():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "ltci" / "policy"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path


def test_a_date_no_version_covers_is_explained_in_chinese():
    from ltci.policy.errors import PolicyError
    from ltci.policy.policies import policy_carried_on, policy_on

    with pytest.raises(PolicyError) as exc:
        policy_carried_on("xuzhou", date(2019, 5, 1))
    assert exc.value.field == "on" and "no policy version of xuzhou covers 2019-05-01" in exc.value.message
    assert exc.value.reason == "2019-05-01早于徐州市长护险政策的施行日期（2022-01-01）"
    with pytest.raises(PolicyError) as exc:
        policy_on("nanzheng", date(2023, 3, 1))  # the pilot ended 2022-12-31
    assert exc.value.reason == "2023-03-01不在汉中市南郑区长护险政策的施行期内"


def test_no_region_is_named_in_code_outside_its_parameter_files():
    """Regions are data: code that names one (`if region == "xuzhou"`, a table keyed by region) would
    leave a sixth region, added by its files alone, without the behaviour. Comments may cite them."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "ltci"
    named = re.compile(r"[\"'](?:%s)[\"']" % "|".join(load_regions()))
    found = [f"{path.relative_to(root)}:{n}" for path in root.rglob("*")
             if path.suffix in {".py", ".html", ".js"} and "params" not in path.parts and "migrations" not in path.parts
             and "vendor" not in path.parts
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if named.search(line.split("#")[0])]
    assert found == []
