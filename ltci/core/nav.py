"""The console's navigation: an entry shows only to roles whose permissions include its own."""

from dataclasses import dataclass
from html import escape

from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from ltci.accounts import roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | tuple[str, ...] | None  # None: every logged-in user; a tuple: any of them

    @property
    def permissions(self) -> tuple[str, ...]:
        """The permissions any one of which shows the entry (empty: shown to everyone)."""
        if self.permission is None:
            return ()
        return self.permission if isinstance(self.permission, tuple) else (self.permission,)


NAV = (
    NavItem("首页", "home", None),
    # Insured accounts only hold these two: staff never see a link that would answer 403.
    NavItem("我的长护险", "portal:home", (roles.CARE_RATE, roles.CARE_CHOOSE)),
    NavItem("驾驶舱", "cockpit:index", roles.COCKPIT_VIEW),
    NavItem("参保人", "enrolment:person_list", roles.PERSON_VIEW),
    NavItem("缴费核定", "contributions:billing", roles.CONTRIBUTION_BILL),
    NavItem("失能评估", "assessment:workbench", (roles.APPLICATION_VIEW, roles.APPLICATION_SUBMIT, roles.SITE_ASSESS,
                                              roles.REVIEW_DECIDE)),
    NavItem("缴费记录", "contributions:payment_list", roles.CONTRIBUTION_VIEW),
    NavItem("欠费名单", "contributions:arrears", roles.CONTRIBUTION_VIEW),
    NavItem("基金账", "fund:ledger", roles.LEDGER_VIEW),
    NavItem("基金收支公示", "fund:disclosure", roles.DISCLOSURE_VIEW),
    NavItem("基金收支预测", "fund:projections", roles.PROJECTION_VIEW),
    NavItem("双人复核", "dualcontrol:index", roles.DUAL_CHECK),
    NavItem("今日上门服务", "care:today", roles.VISIT_RECORD),
    NavItem("护理计划", "care:plan_list", roles.CARE_VIEW),
    NavItem("上门服务受理", "care:acceptance_list", roles.VISIT_ACCEPT),
    NavItem("住院与死亡等事件", "care:events", roles.CARE_VIEW),
    NavItem("待遇结算", "settlement:index", roles.CLAIM_VIEW),
    NavItem("基金监管", "supervision:index", roles.SUPERVISION_VIEW),
    NavItem("稽核案件", "supervision:cases", roles.SUPERVISION_VIEW),
    NavItem("随机抽查", "supervision:samples", roles.SUPERVISION_VIEW),
    NavItem("我的抽查任务", "supervision:my_samples", roles.SAMPLE_CHECK),
    NavItem("监管排名", "supervision:ranking", roles.SUPERVISION_VIEW),
    NavItem("定点机构", "providers:institution_list", roles.INSTITUTION_VIEW),
    NavItem("服务项目目录", "providers:catalogue", (roles.CATALOGUE_CHANGE, roles.REFERENCE_MANAGE)),
    NavItem("统筹地区与政策", "regions:region_list", roles.REGION_VIEW),
    NavItem("账号", "accounts:user_list", roles.USER_VIEW),
    NavItem("审计日志", "audit:event_list", roles.AUDIT_VIEW),
    NavItem("定时任务", "schedule", roles.SCHEDULE_VIEW),
    # The admin site: reference data and accounts, as roles.ADMIN_SITE lists them.
    NavItem("基础数据管理", "admin:index", (roles.REFERENCE_MANAGE, roles.USER_MANAGE)),
)


_urls: dict[tuple[str, str], str] = {}


def _url(name: str) -> str:
    """An entry's address, reversed once per script prefix: every page draws the menu, and its
    twenty reverse() calls were a tenth of a short page's time (docs/decisions/0027)."""
    key = (get_script_prefix(), name)
    if key not in _urls:
        _urls[key] = reverse(name)
    return _urls[key]


def items_for(user) -> list[dict]:
    return [
        {"label": item.label, "url": _url(item.url_name), "url_name": item.url_name}
        for item in NAV
        if not item.permissions or any(user.can(p) for p in item.permissions)
    ]


def menu(items: list[dict], current: str | None) -> SafeString:
    """The sidebar's entries as list items, the current page's marked, joined in Python (a template
    loop costs about 0.1 ms an entry)."""
    marked = ' aria-current="page"'
    return mark_safe("".join(
        f'<li><a href="{escape(item["url"])}"{marked if item["url_name"] == current else ""}>'
        f'{escape(item["label"])}</a></li>' for item in items))
