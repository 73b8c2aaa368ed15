"""ID numbers are masked in lists, logs and exports unless the role needs the full number."""

import logging

import pytest

from ltci.accounts.roles import Role
from ltci.audit.masking import MaskIdNumbersFilter, mask_id, mask_ids_in


def test_mask_keeps_the_region_prefix_and_last_four():
    assert mask_id("320311195001011234") == "3203**********1234"
    assert mask_id("11010519491231002X") == "1101**********002X"
    assert mask_id("") == "" and mask_id(None) == ""
    assert mask_id("1234") == "****"


def test_free_text_is_masked_wherever_a_number_appears():
    text = "查询 320311195001011234 和 11010519491231002x 以及旧号 320311500101123"
    assert mask_ids_in(text) == "查询 3203**********1234 和 1101**********002x 以及旧号 3203*******1123"
    # Longer digit runs (bank accounts, evidence numbers) are not ID numbers and stay as they are.
    assert mask_ids_in("62220203110000123456789") == "62220203110000123456789"


def test_log_records_are_masked():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "person %s registered", ("320311195001011234",), None)
    MaskIdNumbersFilter().filter(record)
    assert record.getMessage() == "person 3203**********1234 registered"


def test_configured_logging_masks_ids(caplog):
    # The console handler of settings.LOGGING carries the filter.
    from django.conf import settings

    assert "mask_ids" in settings.LOGGING["handlers"]["console"]["filters"]


@pytest.mark.parametrize("role", [Role.CLERK, Role.BUREAU_ADMIN, Role.AUDITOR, Role.SUPERVISOR, Role.INSURED])
def test_lists_show_masked_numbers_only(world, client_for, role):
    person = world["home"].person
    client = client_for(world["home"].users[role])
    for url in ("/persons/", "/api/persons", f"/persons/{person.pk}/", f"/api/persons/{person.pk}", "/"):
        body = client.get(url).content.decode()
        assert person.id_number not in body, url
    assert person.masked_id in client.get("/persons/").content.decode()
