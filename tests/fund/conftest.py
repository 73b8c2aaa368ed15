"""The fund's tests: a region's books written through the one write path, and a user to act."""

import itertools
from datetime import date
from decimal import Decimal

import pytest

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.fund import accounts
from ltci.fund.services import Entry, post
from ltci.regions.models import Region

D = Decimal
_keys = itertools.count(1)


@pytest.fixture
def xuzhou(db):
    return Region.objects.get(pk="xuzhou")


@pytest.fixture
def nanning(db):
    return Region.objects.get(pk="nanning")


@pytest.fixture
def manager(xuzhou):
    return create_user(username="xz-fund", password=None, role=Role.BUREAU_ADMIN, region=xuzhou, full_name="基金科")


@pytest.fixture
def nanning_manager(nanning):
    return create_user(username="nn-fund", password=None, role=Role.BUREAU_ADMIN, region=nanning, full_name="基金科")


def book(region, on: date, *entries: Entry, key: str | None = None, kind: str = "test", memo: str = "测试凭证"):
    """Posts one journal through services.post; the region is its source."""
    return post(region_id=region.pk, key=key or f"test:{region.pk}:{next(_keys)}", posted_on=on, kind=kind, memo=memo,
                source=region, entries=list(entries))



def income(region, on: date, amount: str, payer: str = "individual"):
    """Money received: Dr bank, Cr the payer's income."""
    return book(region, on, Entry(accounts.BANK, debit=D(amount)),
                Entry(accounts.INCOME_BY_PAYER[payer], credit=D(amount)))


def benefit(region, on: date, amount: str, institution_id: int = 1):
    """A benefit owed to an institution: Dr benefit expense, Cr payable to the institution."""
    return book(region, on, Entry(accounts.BENEFIT_INSTITUTION, debit=D(amount)),
                Entry(accounts.PAYABLE_INSTITUTION, credit=D(amount), party=f"institution:{institution_id}"))


def paid_out(region, on: date, amount: str, institution_id: int = 1):
    """The payable paid from the bank."""
    return book(region, on, Entry(accounts.PAYABLE_INSTITUTION, debit=D(amount), party=f"institution:{institution_id}"),
                Entry(accounts.BANK, credit=D(amount)))


def budgeted(region, year: int = 2025, **lines: str):
    """The year's budget lines by account code (`budgeted(xuzhou, **{"5201": "1000.00"})`): a fee must fit one."""
    from ltci.fund.budget import set_budget

    set_budget(region.pk, year, dict(lines), None)
    return region


@pytest.fixture
def second_manager(xuzhou):
    """Another fund manager of Xuzhou: the second person for fees above the threshold."""
    return create_user(username="xz-fund-2", password=None, role=Role.BUREAU_ADMIN, region=xuzhou, full_name="基金科复核")
