"""Excel out of long work: a job's report, and the labels of its counts."""

from __future__ import annotations

from functools import lru_cache

from ltci.audit.recorder import record_export

from .exports import Workbook
from .models import REPORT_ORDER


def export_report(job) -> bytes:
    """A job's report as Excel: the counts, then its lines (rows rejected, updated, missing)."""
    wb = Workbook()
    summary = wb.sheet("汇总")
    summary.append(("任务", str(job)))
    summary.append(("状态", job.get_status_display()))
    summary.append(("说明", job.message))
    for label, value in counts_shown(job.counts):
        summary.append((label, value))
    lines = wb.sheet("明细", ("类别", "行号", "列", "原因/内容", "参保人", "证件号码"))
    issues = job.issues.select_related("person").order_by(REPORT_ORDER, "row", "id").iterator(chunk_size=5000)
    n = lines.extend((issue.get_kind_display(), issue.row, issue.column, issue.reason,
                      issue.person.name if issue.person else "", issue.person.masked_id if issue.person else "")
                     for issue in issues)
    data = wb.save()
    record_export("core.jobissue", n, region=job.region_id, job=job.pk)
    return data


COUNT_LABELS = {"rows": "数据行", "accepted": "新增", "updated": "更新", "unchanged": "无变化", "rejected": "拒绝",
                "missing": "名单中未出现", "people": "参保人", "original": "新核定", "adjustment": "调整",
                "skipped": "未核定", "excluded": "不参加长护险",
                # settlement runs
                "lines": "新增结算明细", "adjustments": "其中补付/追款", "fund": "新增基金支付（元）",
                "personal": "新增个人负担（元）", "person_days": "享受待遇人天", "unpaid": "未支付的护理段",
                "seconds": "用时（秒）", "booked_in": "记入月份", "policy_version": "政策版本", "carried_on": "政策适用",
                # supervision screenings (each rule's count is labelled with the rule's name by the app)
                "visits": "筛查上门服务", "hits": "疑点", "new": "其中新增", "refreshed": "更新汇总数", "timing": "分步用时（秒）",
                # fund projections
                "years": "预测年数", "runs": "随机模拟次数", "first_below": "现行政策：基金低于预警线",
                "draft_first_below": "政策草案：基金低于预警线",
                # draft policy trials
                "difference_yuan": "按草案与已记账差额（元）", "changed": "金额变化人数"}

MONEY_COUNTS = frozenset({"fund", "personal", "difference_yuan"})


@lru_cache(maxsize=1)
def _versions() -> dict:
    """Every region's policy versions by code, read once (a job's page is polled while it runs)."""
    from ltci.policy.regions import load_regions

    return {v.code: v for r in load_regions().values() for v in r.versions}


def counts_shown(counts: dict) -> list[tuple[str, str]]:
    """A job's counts as people read them: each by its Chinese name, yes/no for a flag, money with
    two decimals and separators, a policy version by its document."""
    from decimal import Decimal

    from .money import yuan_text

    versions = _versions()
    out = []
    for key, value in counts.items():
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif key in MONEY_COUNTS:
            value = yuan_text(Decimal(str(value)))
        elif key == "policy_version" and value in versions:
            value = f"{versions[value].title}（{versions[value].document}）"
        out.append((COUNT_LABELS.get(key, "其他"), str(value)))
    return out
