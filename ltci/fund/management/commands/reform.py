import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ltci.audit.recorder import record_export
from ltci.core import commands
from ltci.core.errors import reasons
from ltci.core.money import yuan_text
from ltci.policy.engine import add_engine_arguments, engine_for
from ltci.policy.money import yuan
from ltci.settlement.replay import replay, workbook_bytes
from ltci.settlement.run import parse_month_text


class Command(BaseCommand):
    help = ("Policy reforms tried without booking: `reform replay --region R --month YYYY-MM DRAFT.toml [--out FILE.xlsx]` "
            "replays a settled month under a draft parameter file against what was booked, per person and institution.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("replay", help="a settled month under a draft, against what was booked")
        p.add_argument("--region", required=True)
        p.add_argument("--month", required=True, help="a settled month, e.g. 2026-10")
        p.add_argument("draft", type=Path, help="the draft parameter file (TOML), as ltci/policy/params/<region>/")
        p.add_argument("--out", type=Path, help="write the comparison as an Excel workbook (ID numbers masked)")
        p.add_argument("--changed-only", action="store_true", help="list in the workbook only people whose amounts change")
        b = sub.add_parser("rebill", help="a period's contributions billed again under a draft, against the bills")
        b.add_argument("--region", required=True)
        b.add_argument("--period", required=True, help="a billing period, e.g. 2025 or 2025-03")
        b.add_argument("draft", type=Path)
        b.add_argument("--out", type=Path, help="write the comparison as an Excel workbook (ID numbers masked)")
        add_engine_arguments(b)

    def handle(self, *args, action, region, draft, out=None, **options):
        reg = commands.region(region)
        if not draft.exists():
            raise CommandError(f"{draft}: no such file")
        if action == "rebill":
            return self._rebill(reg, options["period"], draft, out, options["engine"], options["master"])
        month, changed_only = options["month"], options.get("changed_only", False)
        try:
            first = parse_month_text(month)
        except ValidationError as exc:
            raise CommandError(reasons(exc)) from None
        started = time.monotonic()
        try:
            r = replay(reg.pk, first, draft.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise CommandError(reasons(exc)) from None
        t = r.totals()
        seconds = time.monotonic() - started
        self.stdout.write(f"{reg.name} {first:%Y年%m月}按政策草案重算（不记账，计算所用数据：{r.source}）：")
        self.stdout.write(f"  基金支付：已结算 {yuan_text(t['booked_fund'])} 元，按草案 {yuan_text(t['draft_fund'])} 元，"
                          f"差额 {yuan_text(t['fund_difference'])} 元")
        self.stdout.write(f"  个人负担：已结算 {yuan_text(t['booked_personal'])} 元，按草案 {yuan_text(t['draft_personal'])} 元")
        self.stdout.write(f"  涉及 {t['people']:,} 人，金额变化 {t['people_changed']:,} 人；"
                          f"{len(r.institutions):,} 个支付对象（定点机构与现金补助）")
        moved = sorted(r.institutions.items(), key=lambda kv: -abs(kv[1][1] - kv[1][0]))[:10]
        if any(d != b for _, (b, d) in moved):
            from ltci.providers.models import Institution

            names = dict(Institution.objects.filter(pk__in=[k for k, _ in moved if k]).values_list("pk", "name"))
            self.stdout.write("  差额最大的支付对象：")
            for k, (b, d) in moved:
                if d != b:
                    self.stdout.write(f"    {names.get(k, '现金补助（支付给参保人）')}：{yuan_text(yuan(d - b))} 元")
        self.stdout.write(f"  用时 {seconds:.1f} 秒（读取 {r.seconds['read']:.1f}，计算 {r.seconds['compute']:.1f}，"
                          f"比对 {r.seconds['compare']:.1f}）")
        if out:
            out.write_bytes(workbook_bytes(r, changed_only=changed_only))
            record_export("settlement.replay", len(r.people), region=reg.pk, month=f"{first:%Y-%m}")
            self.stdout.write(f"已写入 {out}")

    def _rebill(self, reg, period, draft, out, engine, master):
        from ltci.contributions.rebill import rebill, totals, workbook_bytes as rebill_workbook

        try:
            with engine_for(engine, master) as eng:
                r = rebill(reg.pk, period, draft.read_text(encoding="utf-8"), eng)
        except ValidationError as exc:
            raise CommandError(reasons(exc)) from None
        t = totals(r)
        self.stdout.write(f"{reg.name} {r.period.label}缴费按政策草案重新核定（不记账）：")
        self.stdout.write(f"  应缴合计：已核定 {yuan_text(t['billed'])} 元，按草案 {yuan_text(t['draft'])} 元，"
                          f"差额 {yuan_text(t['difference'])} 元")
        self.stdout.write(f"  登记 {t['people']:,} 人，按草案核定 {t['billed_people']:,} 人，应缴变化 {t['changed']:,} 人，"
                          f"未核定 {t['skipped']:,} 人；用时 {r.seconds:.1f} 秒")
        if out:
            out.write_bytes(rebill_workbook(r))
            record_export("contributions.rebill", t["changed"], region=reg.pk, period=r.period.code)
            self.stdout.write(f"已写入 {out}")
