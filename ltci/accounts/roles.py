"""The roles people log in with, what each may do, and how far each one's data scope reaches.

One table, read by the API, the pages and the navigation alike: to give a role a power, add the
permission here; nothing else decides.
"""

from django.db import models


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", "医保局管理员"
    CLERK = "clerk", "经办人员"
    ASSESSOR = "assessor", "评估员"
    EXPERT = "expert", "评定专家"
    COMMITTEE = "committee", "评估专家委员会"
    INSTITUTION_ADMIN = "institution_admin", "定点机构管理员"
    CARER = "carer", "护理员"
    INSURED = "insured", "参保人/家属"
    AUDITOR = "auditor", "稽核人员"
    SUPERVISOR = "supervisor", "财政/审计"


class Reach(models.TextChoices):
    """How far a role's data scope reaches within its region."""

    REGION = "region", "本统筹地区"
    INSTITUTION = "institution", "本机构"
    SELF = "self", "本人"
    # The platform administrator: every region, but only its reference data and its accounts.
    PLATFORM = "platform", "全部统筹地区的基础数据与账号"


# Permissions, each a capability a page or endpoint asks for.
REGION_VIEW = "region.view"  # regions and policy versions
POLICY_CONTINUE = "policy.continue"  # record the document that keeps an ended policy version in force
INSTITUTION_VIEW = "institution.view"
PERSON_VIEW = "person.view"  # the register of insured people (ID numbers masked)
PERSON_VIEW_ID = "person.view_id"  # reveal a full ID number (each reveal is audited)
PERSON_CHANGE = "person.change"
PERSON_EXPORT = "person.export"
AUDIT_VIEW = "audit.view"
AUDIT_EXPORT = "audit.export"
USER_VIEW = "user.view"
PERSON_IMPORT = "person.import"  # roster imports
CONTRIBUTION_VIEW = "contribution.view"  # bills, payments, arrears
CONTRIBUTION_BILL = "contribution.bill"  # billing runs
PAYMENT_RECORD = "payment.record"  # payments by hand and by file
CONTRIBUTION_EXPORT = "contribution.export"
JOB_VIEW = "job.view"  # imports and batch runs of the region, with their reports
SCHEDULE_VIEW = "schedule.view"  # the platform's schedule (its last and next runs) and the workers' heartbeats
SCHEDULE_RUN = "schedule.run"  # run an entry of the schedule now
APPLICATION_VIEW = "application.view"  # applications for assessment and their flow
APPLICATION_SUBMIT = "application.submit"  # apply (for oneself, or at the counter for someone)
APPLICATION_HANDLE = "application.handle"  # intake, screening, assignment, certificates, re-assessment
SITE_ASSESS = "assessment.site"  # record the scale on site (assigned tasks only)
REVIEW_DECIDE = "assessment.review"  # decide a grade in a double-blind review (assigned reviews only)
COMMITTEE_DECIDE = "assessment.committee"  # decide disagreements and disputes
OBJECTION_FILE = "assessment.object"  # object to a grade during publicity
CERTIFICATE_VIEW = "certificate.view"
ASSESSMENT_REPORT = "assessment.report"  # re-assessment ranking, active discovery
VISIT_RECORD = "visit.record"  # a carer's own check-in and check-out
VISIT_ACCEPT = "visit.accept"  # accept or refuse a visit held: recorded late, away from the home or unlocated
CARE_VIEW = "care.view"  # modes, stays and visits of the scope
CARE_CHANGE = "care.change"  # record a mode, an admission or a discharge
CATALOGUE_CHANGE = "catalogue.change"  # price the service catalogue (Excel in)
INSTITUTION_MANAGE = "institution.manage"  # designations, agreements, suspensions, inspections
CARER_MANAGE = "carer.manage"  # register carers, suspend their settlement; file publicity material
CLAIM_VIEW = "claim.view"  # settlement runs, claims and their lines, payment batches
SETTLEMENT_RUN = "settlement.run"  # run a month's settlement
CLAIM_REVIEW = "claim.review"  # 初审: check a claim's lines
CLAIM_APPROVE = "claim.approve"  # 复核: approve the reviewed lines (someone other than the reviewer)
PAYMENT_MAKE = "payment.make"  # 拨付: a payment batch and its bank file (someone other than the approver)
CLAIM_DISPUTE = "claim.dispute"  # an institution disputes a line of its claim
LEDGER_VIEW = "ledger.view"  # journals, balances, budget, cover ratio
LEDGER_MANAGE = "ledger.manage"  # close periods, set budgets, post agency and assessment fees
DISCLOSURE_VIEW = "disclosure.view"  # the public report of the fund's income, expenditure and balance
PROJECTION_VIEW = "projection.view"  # the fund's projections and the drafts tried in them
PROJECTION_RUN = "projection.run"  # project the fund and try a draft policy (books nothing)
SUPERVISION_VIEW = "supervision.view"  # hits, cases, sanctions, samples and the institutions' ranking
SUPERVISION_MANAGE = "supervision.manage"  # set rules, run screenings, open and assign cases, draw samples
CASE_DECIDE = "case.decide"  # confirm or dismiss a case assigned to oneself, with evidence
SANCTION_APPLY = "sanction.apply"  # apply sanctions on a confirmed case
SAMPLE_CHECK = "sample.check"  # record the outcome of a sampled visit's call or home check (assigned only)
COCKPIT_VIEW = "cockpit.view"  # the bureau's cockpit (驾驶舱)
CARE_RATE = "care.rate"  # the person served rates a visit and the institution
CARE_CHOOSE = "care.choose"  # the insured chooses an institution for their care
USER_MANAGE = "user.manage"  # accounts of every region in the admin site: create, deactivate, reset a password
REFERENCE_MANAGE = "reference.manage"  # the admin site's reference data (基础数据管理); see ADMIN_SITE
# 双人复核: approve or reject another person's fee or fine above the region's threshold, or change of a
# payee's bank account, of a kind one may make oneself (fees LEDGER_MANAGE, fines SANCTION_APPLY,
# accounts PAYMENT_MAKE); never one's own (ltci.dualcontrol.services, docs/decisions/0013).
DUAL_CHECK = "dual.check"

PERMISSION_LABELS = {
    REGION_VIEW: "查看统筹地区与政策版本",
    POLICY_CONTINUE: "登记政策延续执行文件",
    INSTITUTION_VIEW: "查看定点机构",
    PERSON_VIEW: "查看参保人",
    PERSON_VIEW_ID: "查看完整身份证号",
    PERSON_CHANGE: "登记和修改参保人",
    PERSON_EXPORT: "导出参保人名单",
    AUDIT_VIEW: "查询审计日志",
    AUDIT_EXPORT: "导出审计日志",
    USER_VIEW: "查看本地区账号",
    PERSON_IMPORT: "导入参保名单",
    CONTRIBUTION_VIEW: "查看缴费核定、缴费记录与欠费",
    CONTRIBUTION_BILL: "执行缴费核定",
    PAYMENT_RECORD: "登记和导入缴费记录",
    CONTRIBUTION_EXPORT: "导出缴费与欠费名单",
    JOB_VIEW: "查看导入与批处理任务",
    SCHEDULE_VIEW: "查看定时任务与后台处理进程",
    SCHEDULE_RUN: "立即执行定时任务",
    APPLICATION_VIEW: "查看评估申请",
    APPLICATION_SUBMIT: "提交评估申请",
    APPLICATION_HANDLE: "受理、派单、发证与重新评估",
    SITE_ASSESS: "现场评估（本人任务）",
    REVIEW_DECIDE: "专家复评（本人任务）",
    COMMITTEE_DECIDE: "委员会评定与争议复核",
    OBJECTION_FILE: "对公示结论提出异议",
    CERTIFICATE_VIEW: "查看评估结论",
    ASSESSMENT_REPORT: "重复评估排名与主动发现",
    VISIT_RECORD: "上门服务签到签退（本人）",
    VISIT_ACCEPT: "受理逾期登记、位置异常的上门服务记录",
    CARE_VIEW: "查看护理方式、入住与上门服务记录",
    CARE_CHANGE: "登记护理方式、入住与离开",
    CATALOGUE_CHANGE: "维护服务项目目录的价格与时长",
    INSTITUTION_MANAGE: "定点申请审核、服务协议、暂停与终止、检查评分",
    CARER_MANAGE: "登记护理员、暂停护理员结算、宣传材料备案",
    CLAIM_VIEW: "查看结算、结算单与支付批次",
    SETTLEMENT_RUN: "执行月度结算",
    CLAIM_REVIEW: "结算单初审",
    CLAIM_APPROVE: "结算单复核",
    PAYMENT_MAKE: "拨付与银行文件",
    CLAIM_DISPUTE: "对结算明细提出异议（本机构）",
    LEDGER_VIEW: "查看基金账、预算与风险预警",
    LEDGER_MANAGE: "会计期间结账、预算编制、经办与评估费用记账",
    DISCLOSURE_VIEW: "查看基金收支公示",
    PROJECTION_VIEW: "查看基金收支预测与政策测算",
    PROJECTION_RUN: "基金收支预测与政策草案测算",
    SUPERVISION_VIEW: "查看疑点、稽核案件、处理决定与抽查",
    SUPERVISION_MANAGE: "维护疑点规则、执行筛查、立案派案、随机抽查",
    CASE_DECIDE: "稽核案件查实或排除（本人承办）",
    SANCTION_APPLY: "对查实案件作出处理",
    SAMPLE_CHECK: "登记抽查回访结果（本人任务）",
    COCKPIT_VIEW: "查看驾驶舱",
    CARE_RATE: "评价上门服务与定点机构（本人）",
    CARE_CHOOSE: "选择定点护理机构（本人）",
    USER_MANAGE: "创建账号、停用账号与重置密码",
    REFERENCE_MANAGE: "基础数据管理（评估人员库；统筹地区、政策版本、服务项目目录与定点机构只读）",
    DUAL_CHECK: "双人复核（他人提交的大额费用、罚款与收款账户变更）",
}

# The flow of an application, for each role that takes part in it.
_ASSESSMENT_READ = {APPLICATION_VIEW, CERTIFICATE_VIEW}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.BUREAU_ADMIN: frozenset({REGION_VIEW, INSTITUTION_VIEW, PERSON_VIEW, PERSON_EXPORT, USER_VIEW,
                                  CONTRIBUTION_VIEW, CONTRIBUTION_EXPORT, JOB_VIEW, ASSESSMENT_REPORT,
                                  CARE_VIEW, CLAIM_VIEW, LEDGER_VIEW, LEDGER_MANAGE, DISCLOSURE_VIEW,
                                  SUPERVISION_VIEW, COCKPIT_VIEW, DUAL_CHECK, POLICY_CONTINUE, SCHEDULE_VIEW,
                                  SCHEDULE_RUN, PROJECTION_VIEW, PROJECTION_RUN, *_ASSESSMENT_READ}),
    # Clerks register people and check identities at the counter: they need full numbers. They run
    # the imports and billing and record payments.
    Role.CLERK: frozenset({REGION_VIEW, INSTITUTION_VIEW, PERSON_VIEW, PERSON_VIEW_ID, PERSON_CHANGE, PERSON_EXPORT,
                           PERSON_IMPORT, CONTRIBUTION_VIEW, CONTRIBUTION_BILL, PAYMENT_RECORD, CONTRIBUTION_EXPORT,
                           JOB_VIEW, APPLICATION_SUBMIT, APPLICATION_HANDLE, OBJECTION_FILE, ASSESSMENT_REPORT,
                           CARE_VIEW, CARE_CHANGE, VISIT_ACCEPT, CATALOGUE_CHANGE, INSTITUTION_MANAGE, CARER_MANAGE,
                           CLAIM_VIEW, SETTLEMENT_RUN, CLAIM_REVIEW, CLAIM_APPROVE, PAYMENT_MAKE, LEDGER_VIEW,
                           DISCLOSURE_VIEW, SUPERVISION_VIEW, SANCTION_APPLY, DUAL_CHECK, *_ASSESSMENT_READ}),
    # Assessors, experts and the committee reach people only through the tasks assigned to them
    # (ltci.assessment.tasks); experts also assess on site.
    Role.ASSESSOR: frozenset({REGION_VIEW, SITE_ASSESS}),
    Role.EXPERT: frozenset({REGION_VIEW, SITE_ASSESS, REVIEW_DECIDE}),
    Role.COMMITTEE: frozenset({REGION_VIEW, REVIEW_DECIDE, COMMITTEE_DECIDE}),
    # Institutions see their own clients' care and record their own admissions and discharges.
    Role.INSTITUTION_ADMIN: frozenset({REGION_VIEW, INSTITUTION_VIEW, CARE_VIEW, CARE_CHANGE, CARER_MANAGE,
                                       CLAIM_VIEW, CLAIM_DISPUTE, DISCLOSURE_VIEW}),
    Role.CARER: frozenset({REGION_VIEW, INSTITUTION_VIEW, VISIT_RECORD}),
    # The insured and family see their own record, their own number included.
    Role.INSURED: frozenset({REGION_VIEW, PERSON_VIEW, PERSON_VIEW_ID, CONTRIBUTION_VIEW, APPLICATION_SUBMIT,
                             OBJECTION_FILE, CARE_VIEW, CLAIM_VIEW, DISCLOSURE_VIEW, CARE_RATE, CARE_CHOOSE,
                             *_ASSESSMENT_READ}),
    # Auditors investigate: identities and the trail; they run the rule base, work the cases and the
    # sampled visits. Sanctions are applied by the agency (clerks), not by the auditor who decided.
    Role.AUDITOR: frozenset({REGION_VIEW, INSTITUTION_VIEW, PERSON_VIEW, PERSON_VIEW_ID, PERSON_EXPORT, AUDIT_VIEW,
                             AUDIT_EXPORT, CONTRIBUTION_VIEW, CONTRIBUTION_EXPORT, JOB_VIEW, ASSESSMENT_REPORT,
                             CARE_VIEW, CLAIM_VIEW, LEDGER_VIEW, DISCLOSURE_VIEW, SUPERVISION_VIEW,
                             SUPERVISION_MANAGE, CASE_DECIDE, SAMPLE_CHECK, COCKPIT_VIEW, *_ASSESSMENT_READ}),
    # 财政/审计 read everything of the region, masked, and change nothing.
    Role.SUPERVISOR: frozenset({REGION_VIEW, INSTITUTION_VIEW, PERSON_VIEW, PERSON_EXPORT, CONTRIBUTION_VIEW,
                                CONTRIBUTION_EXPORT, JOB_VIEW, CARE_VIEW, CLAIM_VIEW, LEDGER_VIEW, DISCLOSURE_VIEW,
                                SUPERVISION_VIEW, COCKPIT_VIEW, PROJECTION_VIEW, *_ASSESSMENT_READ}),
}

# The platform administrator (平台管理员): a superuser, of no region and no role (`User.role_key`).
# He keeps the reference data and the accounts of every region and reads the cockpit of all regions
# together (aggregates). No person data (register, ID numbers, exports, applications, care, claims)
# and no step with money (settlement, review, approval, payment, fees, budget, sanctions): see
# docs/decisions/0015. He is one more row of this table, so nothing else decides.
PLATFORM_ADMIN = "platform_admin"
ROLE_PERMISSIONS[PLATFORM_ADMIN] = frozenset({REGION_VIEW, USER_VIEW, USER_MANAGE, REFERENCE_MANAGE, COCKPIT_VIEW})

ROLE_REACH: dict[str, str] = {
    Role.BUREAU_ADMIN: Reach.REGION,
    Role.CLERK: Reach.REGION,
    Role.ASSESSOR: Reach.REGION,
    Role.EXPERT: Reach.REGION,
    Role.COMMITTEE: Reach.REGION,
    Role.INSTITUTION_ADMIN: Reach.INSTITUTION,
    Role.CARER: Reach.INSTITUTION,
    Role.INSURED: Reach.SELF,
    Role.AUDITOR: Reach.REGION,
    Role.SUPERVISOR: Reach.REGION,
    PLATFORM_ADMIN: Reach.PLATFORM,
}

# The admin site (基础数据管理, /admin/): each model it shows, the permission that shows it, and
# whether that permission may also add and change it there ("change") or only read it ("view").
# Nothing is ever deleted there (users are deactivated; the trail points at them). Regions and
# policy versions are copied from the policy engine's files on every migrate, and institutions come
# from designation, so they are read-only here; the catalogue's prices are the agency's (its page).
# A model not listed is not in the admin site for anyone; the platform administrator's data scope
# (scope.py) is these models and the reference data, in every region.
VIEW, CHANGE = "view", "change"
ADMIN_SITE: dict[str, tuple[str, str]] = {
    "accounts.user": (USER_MANAGE, CHANGE),
    "assessment.evaluator": (REFERENCE_MANAGE, CHANGE),
    "assessment.recusal": (REFERENCE_MANAGE, CHANGE),  # entered with the person's ID number, shown masked
    "regions.region": (REFERENCE_MANAGE, VIEW),
    "regions.policyversion": (REFERENCE_MANAGE, VIEW),
    "providers.institution": (REFERENCE_MANAGE, VIEW),  # to pick an institution staff account's institution
}


def admin_site_allows(permissions: frozenset[str], perm: str) -> bool:
    """Whether holders of `permissions` have Django's `perm` ("app.action_model") in the admin site."""
    app, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    entry = ADMIN_SITE.get(f"{app}.{model}")
    if entry is None or entry[0] not in permissions:
        return False
    return action == "view" or (action in ("add", "change") and entry[1] == CHANGE)
