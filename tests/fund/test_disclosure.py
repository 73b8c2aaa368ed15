"""The public report of the fund's income and expenditure (基金收支公示): by payer and by kind, with
the opening and closing surplus, as a page and as a PDF in Chinese."""

import re
import shutil
import subprocess
import zlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.fund import periods
from ltci.fund.disclosure import (
    disclosure,
    disclosure_html,
    disclosure_pdf,
    parse_month,
)
from ltci.fund.fees import post_fee

from .conftest import benefit, budgeted, income, paid_out

D = Decimal


@pytest.fixture
def year(xuzhou, manager):
    income(xuzhou, date(2024, 12, 20), "500.00", "individual")  # before the span: in the opening surplus
    benefit(xuzhou, date(2024, 12, 31), "100.00")
    income(xuzhou, date(2025, 1, 20), "1000.00", "individual")
    income(xuzhou, date(2025, 1, 25), "1500.00", "medical_fund")
    income(xuzhou, date(2025, 2, 25), "600.00", "fiscal")
    benefit(xuzhou, date(2025, 2, 28), "700.00")
    paid_out(xuzhou, date(2025, 3, 5), "650.00")
    budgeted(xuzhou, **{"5201": "100.00"})
    post_fee(xuzhou, "assessment", D("80.00"), date(2025, 3, 6), "评估费", manager)
    income(xuzhou, date(2025, 4, 2), "999.00", "employer")  # after the span
    for month in (date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)):
        periods.close("xuzhou", month, manager)
    return xuzhou


def test_the_report_adds_up_from_opening_to_closing(year):
    d = disclosure(year, date(2025, 1, 1), date(2025, 3, 1))
    income = {ln.account: ln.amount for ln in d.income}
    spent = {ln.account: ln.amount for ln in d.expenditure}
    assert income == {"4101": D("1000.00"), "4102": D("0.00"), "4103": D("1500.00"), "4104": D("600.00"),
                      "4105": D("0.00")}
    assert spent == {"5101": D("700.00"), "5102": D("0.00"), "5201": D("80.00"), "5202": D("0.00")}
    assert d.opening == D("400.00") and d.income_total == D("3100.00") and d.expenditure_total == D("780.00")
    assert d.closing == d.opening + d.income_total - d.expenditure_total == D("2720.00")
    # The surplus is the bank less what is still owed: 500 + 3100 − 650 − 80 = 2870; owed 100 + 700 − 650 = 150.
    assert d.bank == D("2870.00") and d.payable == D("150.00")
    assert d.open_months == ["2025年3月"]
    assert d.title == "徐州市长期护理保险基金收支情况公示（2025年1月至2025年3月）"
    one = disclosure(year, date(2025, 4, 1), date(2025, 4, 1))
    assert one.title.endswith("（2025年4月）") and one.opening == d.closing and one.income_total == D("999.00")


@pytest.mark.parametrize("start, end, field, message", [
    (date(2025, 3, 1), date(2025, 1, 1), "end", "不能早于"),
    (date(2025, 1, 1), date(2099, 1, 1), "end", "不能晚于本月"),
    (date(2015, 1, 1), date(2025, 1, 1), "end", "最长60个月"),
])
def test_a_span_that_cannot_be_reported_is_refused(xuzhou, start, end, field, message):
    with pytest.raises(ValidationError) as exc:
        disclosure(xuzhou, start, end)
    assert message in exc.value.message_dict[field][0]


def test_months_are_read_as_yyyy_mm():
    assert parse_month("2025-03", "start") == date(2025, 3, 1)
    for bad in ("2025-13", "2025/03", "", "March"):
        with pytest.raises(ValidationError) as exc:
            parse_month(bad, "start")
        assert "年-月" in exc.value.message_dict["start"][0]


def test_the_pdf_is_chinese_with_an_embedded_cjk_font(year, tmp_path):
    d = disclosure(year, date(2025, 1, 1), date(2025, 3, 1))
    html = disclosure_html(d)
    for words in (d.title, "期初滚存结余", "缴费收入—个人缴费", "评估费用支出", "2,720.00", "说明：2025年3月尚未结账",
                  "徐州市医疗保障局"):
        assert words in html
    data = disclosure_pdf(d)
    assert data.startswith(b"%PDF")
    inflated = b"".join([data] + [_inflate(data[m.end():]) for m in re.finditer(rb"stream\r?\n", data)])
    assert b"/FontFile" in inflated and re.search(rb"NotoS(ans|erif)CJK", inflated)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text cannot be extracted here")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "基金收支情况公示" in text and "2,720.00" in text and "3,100.00" in text


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(data)
    except zlib.error:
        return b""


def test_the_same_page_is_set_once_and_other_figures_make_another(year, monkeypatch):
    import weasyprint
    from django.core.cache import caches

    caches["shared"].clear()
    set_, real = [], weasyprint.HTML.write_pdf
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", lambda self, *a, **k: set_.append(1) or real(self, *a, **k))
    d = disclosure(year, date(2025, 1, 1), date(2025, 3, 1))
    first = disclosure_pdf(d)
    assert disclosure_pdf(disclosure(year, date(2025, 1, 1), date(2025, 3, 1))) == first and len(set_) == 1
    assert disclosure_pdf(disclosure(year, date(2025, 1, 1), date(2025, 2, 1))) != first and len(set_) == 2


def test_the_same_books_give_the_kept_report(year, django_assert_max_num_queries):
    from django.core.cache import caches

    caches["shared"].clear()
    first = disclosure(year, date(2025, 1, 1), date(2025, 3, 1))
    with django_assert_max_num_queries(3):  # the closed months, the last journal, the shared cache: nothing summed
        assert disclosure(year, date(2025, 1, 1), date(2025, 3, 1)) == first
