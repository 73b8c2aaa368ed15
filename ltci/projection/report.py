"""The projection as a Chinese year-by-year table (money with two decimals and thousands separators)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .model import Result

MODE_NAMES = {"family_care": "居家自主护理", "home_visit": "上门护理", "institution_care": "养老机构护理",
              "institution_medical": "医疗机构护理", "home_care": "居家护理", "home_combined": "居家综合护理",
              "remote_cash": "异地现金补助"}
PAYER_NAMES = {"individual": "个人", "employer": "单位", "medical_fund": "医保统筹划转", "fiscal": "财政"}


def money(x: float) -> str:
    """An estimate in yuan as people read it: rounded half-up to the fen, once, here (decision 0028)."""
    return f"{Decimal(repr(float(x))).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def _band(b: dict, fmt=money) -> str:
    if b["p5"] == b["p95"]:
        return fmt(b["p50"])
    return f"{fmt(b['p50'])}（{fmt(b['p5'])}～{fmt(b['p95'])}）"


def table(result: Result, title: str = "") -> str:
    heads = ["年度", "参保人数", "缴费收入（元）", "新增失能", "待遇人数", "待遇支出（元）", "经办服务费（元）", "年末结余（元）",
             "可支付月数"]
    people = lambda x: f"{x:,.0f}"  # noqa: E731
    months = lambda x: f"{x:,.1f}"  # noqa: E731
    lines = []
    runs = f"{result.runs:,} 次随机模拟，中位数（P5～P95）" if result.runs > 1 else "中心路径（不含随机波动）"
    lines.append(f"{title or result.region} 长护险基金十年预测（{result.on:%Y-%m-%d} 起，{runs}）")
    lines.append(f"预警线：可支付月数低于 {result.warning_months:g} 个月（{result.warning_basis}）")
    lines.append("\t".join(heads))
    for y in result.years:
        new = {k: sum(v[k] for v in y["new_disability"].values()) for k in ("p5", "p50", "p95")}
        ben = {k: sum(v[k] for v in y["beneficiaries"].values()) for k in ("p5", "p50", "p95")}
        cover = _band(y["cover_months"], months) if y["cover_months"] else "—"
        lines.append("\t".join([str(y["year"]), _band(y["insured"], people), _band(y["contributions"]["total"]),
                                _band(new, people), _band(ben, people), _band(y["benefits"]["total"]),
                                _band(y["agency_fees"]), _band(y["balance"]), cover]))
    lines.append("")
    lines.append("缴费收入按缴费方（中位数，元）：")
    for y in result.years:
        parts = [f"{PAYER_NAMES.get(p, p)} {money(v['p50'])}" for p, v in y["contributions"].items() if p != "total"]
        lines.append(f"  {y['year']}：" + "，".join(parts))
    lines.append("待遇支出按护理方式（中位数，元）：")
    for y in result.years:
        parts = [f"{MODE_NAMES.get(m, m)} {money(v['p50'])}" for m, v in y["benefits"].items() if m != "total"]
        lines.append(f"  {y['year']}：" + "，".join(parts))
    lines.append("")
    fb = result.first_below
    if fb["central"] is not None or fb["p50_year"] is not None:
        year = fb["p50_year"] or fb["central"]
        lines.append(f"结论：基金预计于 {year} 年低于预警线（{fb['share_of_runs']:.0%} 的模拟在预测期内低于预警线）。")
    else:
        lines.append(f"结论：预测期内基金不低于预警线（{fb['share_of_runs']:.0%} 的模拟在预测期内低于预警线）。")
    for note in result.notes:
        lines.append(f"说明：{note}")
    lines.append("")
    lines.append("计算方法：")
    for key, text in result.explain.items():
        lines.append(f"  {text}")
    lines.append("假设（取值与来源；estimated 为本地区数据估计）：")
    for a in result.assumptions:
        value = a["value"]
        if isinstance(value, dict) and len(str(value)) > 80:
            value = "（表，见 JSON 输出）"
        lines.append(f"  {a['key']} = {value}  [{a['origin']}] {a['source']}")
    return "\n".join(lines)
