"""Lists the pages and the API share: arrears of a period, payments, and their Excel exports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from ltci.audit.masking import mask_id
from ltci.audit.recorder import record_export
from ltci.core.exports import workbook
from ltci.policy.money import yuan
from ltci.enrolment.models import Person

from .models import PeriodTotal


@dataclass(frozen=True)
class ArrearsRow:
    person_id: int
    name: str
    id_number: str
    district: str
    billed: Decimal
    paid: Decimal

    @property
    def owed(self) -> Decimal:
        return self.billed - self.paid

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)


def arrears(region_id: str, period: str, *, district: str = "", person_id: int | None = None,
            limit: int = 50, offset: int = 0, after: int | None = None, count: bool = True
            ) -> tuple[list[ArrearsRow], int | None]:
    """People of a region who owe for a period (billed more than paid), in the order of their ids,
    and how many there are (None with count=False).

    Read from the period totals the database keeps (totals.py) through the partial index of those
    who owe: a page reads its 50 rows, the count one index entry per debtor, whatever the size of
    the city (docs/decisions/0029). `after` starts past a person id (an export's next part)."""
    # the partial index's own condition, written as it is, so that both databases choose it
    where, args = ["t.region_id = %s", "t.period = %s", "t.billed_fen > t.paid_fen"], [region_id, period]
    source = f"{PeriodTotal._meta.db_table} t"
    if district:  # joined only for a district: else PostgreSQL merge-joins the whole register to a page
        source += f" JOIN {Person._meta.db_table} p ON p.id = t.person_id"
        where.append("p.district = %s")
        args.append(district)
    if person_id is not None:
        where.append("t.person_id = %s")
        args.append(person_id)
    with connection.cursor() as cur:
        total = None
        if count:
            cur.execute(f"SELECT COUNT(*) FROM {source} WHERE {' AND '.join(where)}", args)
            total = cur.fetchone()[0]
        if after is not None:
            where.append("t.person_id > %s")
            args.append(after)
        cur.execute(f"SELECT t.person_id, t.billed_fen, t.paid_fen FROM {source} WHERE {' AND '.join(where)} "
                    f"ORDER BY t.person_id LIMIT {int(limit)} OFFSET {int(offset)}", args)
        found = cur.fetchall()
    people = {pk: rest for pk, *rest in Person.objects.filter(pk__in=[r[0] for r in found])
              .values_list("pk", "name", "id_number", "district")}
    rows = [ArrearsRow(pk, *people[pk], yuan(billed), yuan(paid)) for pk, billed, paid in found if pk in people]
    return rows, total


def export_arrears(region_id: str, period: str, *, district: str = "") -> bytes:
    def rows():
        after = None
        while True:
            page, _ = arrears(region_id, period, district=district, limit=5000, after=after, count=False)
            if not page:
                return
            for r in page:
                yield (r.name, r.masked_id, r.district, period, r.billed, r.paid, r.owed)
            after = page[-1].person_id

    data, n = workbook("欠费名单", ("姓名", "证件号码", "区县", "缴费期间", "应缴", "已缴", "欠缴"), rows())
    record_export("contributions.arrears", n, region=region_id, period=period)
    return data


def export_payments(queryset, region_id: str | None) -> bytes:
    rows = ((p.person.name, p.person.masked_id, p.period, p.get_payer_display(), p.get_channel_display(), p.amount,
             p.reference, p.paid_on) for p in queryset.select_related("person").iterator(chunk_size=2000))
    data, n = workbook("缴费记录", ("姓名", "证件号码", "缴费期间", "缴费主体", "缴费渠道", "金额", "渠道流水号", "到账日期"),
                        rows)
    record_export("contributions.payment", n, region=region_id)
    return data
