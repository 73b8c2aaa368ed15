"""Service catalogues: loaded from data per region, priced through Excel, all rows or none."""

import io
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from ltci.accounts.roles import Role
from ltci.providers import catalogue
from ltci.providers.models import CatalogueItem


def workbook(rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in catalogue.COLUMNS])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("catalogue.xlsx", out.getvalue())


def test_every_region_has_its_catalogue_after_migrating(db):
    counts = {r: CatalogueItem.objects.filter(region_id=r).count()
              for r in ("changning", "jiaxing", "nanning", "nanzheng", "xuzhou")}
    assert set(counts.values()) == {42}
    living = CatalogueItem.objects.filter(region_id="changning", category="living_care").count()
    assert living == 27 and CatalogueItem.objects.get(region_id="changning", code="YL15").name == "PICC 维护"
    assert catalogue.load("xuzhou", date.today()) == 0  # loading again adds nothing


def test_the_agency_prices_the_catalogue_through_excel(world, client_for):
    client = client_for(world["home"].users[Role.CLERK])
    exported = load_workbook(io.BytesIO(client.get("/institutions/catalogue/export.xlsx").content)).active
    assert [c.value for c in exported[1]] == [c.header for c in catalogue.COLUMNS] and exported.max_row == 43
    response = client.post("/institutions/catalogue/", {"file": workbook([["SC06", "沐浴", "", "45.00", 40, "", "N-101"]])})
    assert response.status_code == 302
    item = CatalogueItem.objects.get(region_id="xuzhou", code="SC06")
    assert item.unit_price == Decimal("45.00") and item.standard_minutes == 40 and item.national_code == "N-101"
    assert CatalogueItem.objects.get(region_id="nanning", code="SC06").unit_price is None  # another region's


def test_a_bad_row_rejects_the_whole_file_naming_the_row(world, client_for):
    client = client_for(world["home"].users[Role.CLERK])
    response = client.post("/institutions/catalogue/", {"file": workbook([
        ["SC01", "", "", "20.00", 15, "", ""],
        ["ZZ99", "", "", "10.00", 10, "", ""],
        ["SC02", "", "", "-3", 10, "", ""],
        ["SC03", "", "", "5.00", "12.5", "", ""]])})
    page = response.content.decode()
    assert response.status_code == 422
    assert "第3行：项目编码 ZZ99 不在本地区目录中" in page and "第4行" in page and "第5行" in page
    assert CatalogueItem.objects.get(region_id="xuzhou", code="SC01").unit_price is None


def test_only_the_agency_may_price_and_everyone_of_the_region_may_read(world, client_for):
    carer = client_for(world["home"].users[Role.CARER])
    assert len(carer.get("/api/catalogue").json()) == 42
    assert carer.post("/api/catalogue/import", {"file": workbook([])}).status_code == 403
