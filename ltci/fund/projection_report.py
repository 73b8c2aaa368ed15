"""A kept projection as people read it: the rows of its page, its charts' figures, the Excel workbook
and the Chinese PDF report, all from one reading of the engine's result (issue 18). The engine's
estimates are floats (decision 0028); each is rounded half-up to the fen once, here, for showing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from ltci.core.exports import Workbook
from ltci.policy.rules.eligibility import GRADE_LABELS
from ltci.projection.report import MODE_NAMES, PAYER_NAMES

from .models import Projection
from .projections import first_below_text

FEN = Decimal("0.01")
AGE_TABLE_KEYS = ("ages", "bands")  # the assumptions given as a table by age: a sheet of their own
ASSUMPTION_NAMES = {
    "mortality": "死亡率", "entry_rate": "新参保率", "entry_max_age": "新参保人员结构参照年龄上限", "exit_rate": "退保率",
    "base_growth": "缴费基数增长率", "pension_growth": "养老金增长率", "price_growth": "护理价格增长率",
    "retirement_age": "退休年龄", "incidence": "失能发生率", "incidence_threshold": "本地区估计发生率所需最少新增失能人数",
    "benefit_exit_rate": "待遇退出率", "take_up": "待遇结算率", "default_monthly_cost": "缺省月护理费用",
    "agency_fee_share": "经办服务费比例", "interest_rate": "基金利率",
    "uncertainty.mortality": "随机波动：死亡水平", "uncertainty.incidence": "随机波动：失能发生水平",
    "uncertainty.benefit_exit": "随机波动：待遇退出水平", "uncertainty.entry": "随机波动：新参保水平",
    "uncertainty.base_growth": "随机波动：缴费基数增长", "uncertainty.price_growth": "随机波动：价格增长",
}
ORIGINS = {"estimated": "本地区数据估计", "default.toml": "平台缺省假设"}


def yuan(x) -> Decimal:
    return Decimal(str(x)).quantize(FEN, rounding=ROUND_HALF_UP)


def _people(x) -> int:
    return int(Decimal(str(x)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _months(x) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _band(b: dict | None, fmt) -> dict | None:
    return None if b is None else {k: fmt(b[k]) for k in ("p5", "p50", "p95")}


def _sum_bands(parts: dict) -> dict:
    return {k: sum(v[k] for v in parts.values()) for k in ("p5", "p50", "p95")}


def year_rows(result: dict) -> list[dict]:
    """One row a year: each figure as {p5, p50, p95}, money in yuan with fen, people whole."""
    rows = []
    for y in result["years"]:
        rows.append({
            "year": y["year"],
            "insured": _band(y["insured"], _people),
            "contributions": _band(y["contributions"]["total"], yuan),
            "new_disability": _band(_sum_bands(y["new_disability"]), _people),
            "beneficiaries": _band(_sum_bands(y["beneficiaries"]), _people),
            "benefits": _band(y["benefits"]["total"], yuan),
            "agency_fees": _band(y["agency_fees"], yuan),
            "balance": _band(y["balance"], yuan),
            "cover_months": _band(y["cover_months"], _months),
            "below_share": f"{y['below_warning_share']:.0%}",
            "payers": [(PAYER_NAMES.get(p, p), yuan(v["p50"])) for p, v in y["contributions"].items() if p != "total"],
            "modes": [(MODE_NAMES.get(m, m), yuan(v["p50"])) for m, v in y["benefits"].items() if m != "total"],
            "grades": [(GRADE_LABELS.get(g, g), _people(v["p50"])) for g, v in y["beneficiaries"].items()],
        })
    return rows


def _number_text(value) -> str:
    """An assumption's figure as people read it: a share as a percentage, an amount in yuan."""
    try:
        d = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return str(value)
    if d == d.to_integral_value():
        return f"{d:,.0f}"
    if abs(d) < 1:
        return f"{(d * 100).quantize(FEN, rounding=ROUND_HALF_UP)}%"
    return f"{d.quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"


def _value_text(value) -> str:
    if isinstance(value, dict):
        if any(k in value for k in AGE_TABLE_KEYS):
            return "（分年龄的表，见 Excel 工作簿，每万人）"
        return "；".join(f"{({'M': '男', 'F': '女'}).get(str(k), GRADE_LABELS.get(str(k), k))} {_number_text(v)}"
                        for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "、".join(_number_text(v) for v in value) if len(value) <= 12 else f"（{len(value)} 个数值，见 Excel 工作簿）"
    return _number_text(value)


def assumption_rows(result: dict) -> list[dict]:
    return [{"name": ASSUMPTION_NAMES.get(a["key"], a["key"]), "value": _value_text(a["value"]), "raw": a["value"],
             "origin": ORIGINS.get(a["origin"], "本地区假设文件" if a["origin"].endswith(".toml") else a["origin"]),
             "source": a["source"]} for a in result["assumptions"]]


def chart_data(p: Projection) -> dict:
    """What the page's charts draw (ECharts, static/fund/projection.js): the medians and the P5–P95 band
    of each policy's balance, cover and flows, year by year, and the warning line."""
    def series(result):
        if not result:
            return None
        rows = year_rows(result)
        pick = lambda key, q: [None if r[key] is None else float(r[key][q]) for r in rows]  # noqa: E731
        return {k: {q: pick(k, q) for q in ("p5", "p50", "p95")}
                for k in ("balance", "cover_months", "contributions", "benefits", "insured", "beneficiaries")}
    return {"years": [y["year"] for y in p.result["years"]], "warning": p.result["warning_months"],
            "runs": p.runs, "current": series(p.result), "draft": series(p.draft_result),
            "draft_name": p.draft_name}


def context(p: Projection) -> dict:
    """What the page and the PDF show of a finished projection."""
    result, draft = p.result, p.draft_result
    both = []
    if draft:
        for now, then in zip(year_rows(result), year_rows(draft)):
            both.append({"year": now["year"], "now": now, "draft": then,
                         "balance_diff": then["balance"]["p50"] - now["balance"]["p50"],
                         "contributions_diff": then["contributions"]["p50"] - now["contributions"]["p50"],
                         "benefits_diff": then["benefits"]["p50"] - now["benefits"]["p50"]})
    base = result["base_year"]
    return {"p": p, "rows": year_rows(result), "draft_rows": year_rows(draft) if draft else [], "both": both,
            "verdict": first_below_text(result), "draft_verdict": first_below_text(draft),
            "assumptions": assumption_rows(result), "explain": list(result["explain"].values()),
            "notes": result["notes"], "warning": result["warning_months"], "warning_basis": result["warning_basis"],
            "base_balance": yuan(base.get("balance") or 0), "base_insured": _people(base.get("insured") or 0),
            "stochastic": p.runs > 1}


def workbook_bytes(p: Projection) -> bytes:
    c = context(p)
    wb = Workbook()
    head = ("年度", "参保人数", "缴费收入（元）", "新增失能（人）", "待遇人数", "待遇支出（元）", "经办服务费（元）",
            "年末结余（元）", "可支付月数", "低于预警线的模拟占比")

    def band_sheet(title, rows):
        for q, label in (("p50", "中位数"), ("p5", "5%分位"), ("p95", "95%分位")) if c["stochastic"] else (("p50", "中心路径"),):
            sheet = wb.sheet(f"{title}（{label}）", head, widths=(8, 14, 18, 14, 12, 18, 18, 18, 12, 18))
            sheet.extend((r["year"], r["insured"][q], r["contributions"][q], r["new_disability"][q],
                          r["beneficiaries"][q], r["benefits"][q], r["agency_fees"][q], r["balance"][q],
                          r["cover_months"][q] if r["cover_months"] else None, r["below_share"]) for r in rows)

    band_sheet("现行政策", c["rows"])
    if c["draft_rows"]:
        band_sheet("政策草案", c["draft_rows"])
        cmp = wb.sheet("对比（中位数）", ("年度", "现行年末结余（元）", "草案年末结余（元）", "结余差额（元）", "现行缴费收入（元）",
                                      "草案缴费收入（元）", "现行待遇支出（元）", "草案待遇支出（元）", "现行可支付月数",
                                      "草案可支付月数"), widths=(8, 18, 18, 18, 18, 18, 18, 18, 14, 14))
        cmp.extend((b["year"], b["now"]["balance"]["p50"], b["draft"]["balance"]["p50"], b["balance_diff"],
                    b["now"]["contributions"]["p50"], b["draft"]["contributions"]["p50"], b["now"]["benefits"]["p50"],
                    b["draft"]["benefits"]["p50"], b["now"]["cover_months"]["p50"] if b["now"]["cover_months"] else None,
                    b["draft"]["cover_months"]["p50"] if b["draft"]["cover_months"] else None) for b in c["both"])
    payers = sorted({name for r in c["rows"] for name, _ in r["payers"]})
    wb.sheet("缴费收入按缴费方", ("年度", *[f"{n}（元）" for n in payers])).extend(
        (r["year"], *[dict(r["payers"]).get(n) for n in payers]) for r in c["rows"])
    modes = sorted({name for r in c["rows"] for name, _ in r["modes"]})
    wb.sheet("待遇支出按护理方式", ("年度", *[f"{n}（元）" for n in modes])).extend(
        (r["year"], *[dict(r["modes"]).get(n) for n in modes]) for r in c["rows"])
    assumptions = wb.sheet("假设", ("假设", "取值", "来源类别", "来源与估计方法"), widths=(24, 40, 16, 100))
    assumptions.extend((a["name"], a["value"], a["origin"], a["source"]) for a in c["assumptions"])
    for a in c["assumptions"]:  # a table's every value, a row each
        raw = a["raw"]
        age_key = next((k for k in AGE_TABLE_KEYS if isinstance(raw, dict) and k in raw), None)
        if age_key:
            keys = [k for k in raw if k != age_key]
            sheet = wb.sheet(a["name"][:31], ("年龄（岁起）", *[{"male": "男", "female": "女"}.get(k, GRADE_LABELS.get(k, k))
                                                          + "（每万人）" for k in keys]))
            sheet.extend((age, *[(Decimal(str(raw[k][i])) * 10_000).quantize(FEN, rounding=ROUND_HALF_UP) for k in keys])
                         for i, age in enumerate(raw[age_key]))
    wb.sheet("计算方法", ("说明",), widths=(140,)).extend((text,) for text in c["explain"] + c["notes"])
    return wb.save()


def pdf_bytes(p: Projection) -> bytes:
    from weasyprint import HTML  # heavy: loaded only when a report is printed

    html = render_to_string("fund/projection_pdf.html", {**context(p), "printed_on": timezone.localdate()})
    return HTML(string=html).write_pdf()
