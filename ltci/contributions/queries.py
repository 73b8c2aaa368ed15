"""Lists the pages and the API share: arrears of a period, payments, and their Excel exports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from ltci.audit.masking import mask_id
from ltci.audit.recorder import record_export
from ltci.core.exports import workbook
from ltci.core.values import db_money
from ltci.enrolment.models import Person

from .models import Bill, Payment


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
    """People of a region who owe for a period (bills less payments), in the order of their ids, and
    how many there are (None with count=False).

    The rows are found person by person in the bills' (region, period, person) index, each one's
    payments by their person index, and the reading stops at the page's end: a city bills millions,
    one in thirty owes, and a page of 50 reads a few thousand bills (docs/decisions/0027). `after`
    starts past a person id (an export's next part). The count reads every bill and payment of the
    period: seconds in a city, so the page asks for it apart."""
    bill, pay, person = Bill._meta.db_table, Payment._meta.db_table, Person._meta.db_table
    where, args = ["p.region_id = %s"], [region_id, period, region_id, period, region_id]
    if district:
        where.append("p.district = %s")
        args.append(district)
    if person_id is not None:
        where.append("p.id = %s")
        args.append(person_id)
    rows_where, rows_args = list(where), list(args)
    if after is not None:
        rows_where.append("p.id > %s")
        rows_args.append(after)
    with connection.cursor() as cur:
        total = None
        if count:
            body = (f"FROM (SELECT person_id, SUM(total) AS billed FROM {bill} WHERE region_id = %s AND period = %s "
                    f"GROUP BY person_id) b LEFT JOIN (SELECT person_id, SUM(amount) AS paid FROM {pay} "
                    f"WHERE region_id = %s AND period = %s GROUP BY person_id) y ON y.person_id = b.person_id "
                    f"JOIN {person} p ON p.id = b.person_id WHERE {' AND '.join(where)} "
                    f"AND b.billed - COALESCE(y.paid, 0) > 0.004")
            cur.execute(f"SELECT COUNT(*) {body}", args)
            total = cur.fetchone()[0]
        # People in id order, each one's bills by the (region, period, person) index and payments by the
        # person index; CROSS JOIN keeps SQLite's loop on people (PostgreSQL plans it as any join), so
        # that neither database groups the whole period before the LIMIT.
        paid = (f"COALESCE((SELECT SUM(y.amount) FROM {pay} y WHERE y.person_id = p.id AND y.region_id = %s "
                f"AND y.period = %s), 0)")
        cur.execute(
            f"SELECT p.id, p.name, p.id_number, p.district, SUM(bl.total), {paid} FROM {person} p "
            f"CROSS JOIN {bill} bl WHERE bl.person_id = p.id AND bl.region_id = %s AND bl.period = %s "
            f"AND {' AND '.join(rows_where)} GROUP BY p.id HAVING SUM(bl.total) - {paid} > 0.004 "
            f"ORDER BY p.id LIMIT {int(limit)} OFFSET {int(offset)}",
            [region_id, period, *rows_args[2:], region_id, period])
        rows = [ArrearsRow(r[0], r[1], r[2], r[3], db_money(r[4]), db_money(r[5])) for r in cur.fetchall()]
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
