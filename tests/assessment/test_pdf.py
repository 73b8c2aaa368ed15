"""The certificate notice as a PDF: embedded CJK fonts, the grade, and the ID number masked."""

import re
import shutil
import subprocess
import zlib

import pytest

from ltci.assessment import services
from ltci.assessment.pdf import MUNICIPAL_BASIS, certificate_html, certificate_pdf

from .conftest import walk


def _all_bytes(data: bytes) -> bytes:
    """The raw file and every Flate stream inflated: font names sit in compressed object streams."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            continue
    return b"".join(parts)


@pytest.fixture
def cert(world, pool, applicant):
    return walk(world, pool, applicant).certificate


def test_the_notice_is_a_pdf_with_an_embedded_cjk_font(cert):
    data = certificate_pdf(cert)
    assert data.startswith(b"%PDF")
    inflated = _all_bytes(data)
    assert b"/FontFile" in inflated  # the font program is in the file, not left to the reader's system
    assert re.search(rb"NotoS(ans|erif)CJK", inflated)


def test_the_notice_says_the_grade_and_shows_only_the_masked_id(cert):
    html = certificate_html(cert)
    person = cert.person
    assert services.grade_label(cert.grade) in html and person.masked_id in html and person.id_number not in html
    for words in ("长期护理保险失能等级评估结论通知书", cert.region.name, cert.number, "日常生活活动能力", "重度受损",
                  "如何提出异议", "复评", "医保发〔2023〕29号", "达到长期护理保险待遇享受等级"):
        assert words in html
    assert f"{cert.valid_from:%Y}年{cert.valid_from.month}月{cert.valid_from.day}日" in html


def test_a_certificate_without_sub_scores_names_the_municipal_assessment(cert):
    cert.totals, cert.levels = {}, {}
    html = certificate_html(cert)
    assert MUNICIPAL_BASIS in html and "日常生活活动能力" not in html


def test_the_text_of_the_pdf_has_the_grade_and_the_masked_id(cert, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text cannot be extracted here")
    path = tmp_path / "notice.pdf"
    path.write_bytes(certificate_pdf(cert))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    compact = "".join(text.split())
    assert services.grade_label(cert.grade) in compact
    assert cert.person.masked_id in compact and cert.person.id_number not in compact
