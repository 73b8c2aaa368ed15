"""Role and scope isolation, table-driven over every API endpoint and every page, for every role.

For each role: an endpoint whose permission the role lacks answers 403; an object outside the
user's scope (another region; another institution for institution staff; another person for the
insured) answers 404 and its data never appears; lists hold only in-scope rows.
"""

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.accounts.roles import (
    APPLICATION_HANDLE, APPLICATION_SUBMIT, APPLICATION_VIEW, ASSESSMENT_REPORT, CERTIFICATE_VIEW, OBJECTION_FILE,
    REVIEW_DECIDE, SITE_ASSESS, VISIT_RECORD, CARE_VIEW, CARE_CHANGE, CATALOGUE_CHANGE, INSTITUTION_MANAGE,
    CARER_MANAGE, DISCLOSURE_VIEW, LEDGER_MANAGE, LEDGER_VIEW, CLAIM_APPROVE, CLAIM_DISPUTE, CLAIM_REVIEW, CLAIM_VIEW,
    PAYMENT_MAKE, SETTLEMENT_RUN, VISIT_ACCEPT, SCHEDULE_RUN, SCHEDULE_VIEW,
    AUDIT_EXPORT, AUDIT_VIEW, CONTRIBUTION_BILL, CONTRIBUTION_EXPORT, CONTRIBUTION_VIEW, INSTITUTION_VIEW, JOB_VIEW,
    PAYMENT_RECORD, PERSON_CHANGE, PERSON_EXPORT, PERSON_IMPORT, PERSON_VIEW, PERSON_VIEW_ID, REGION_VIEW,
    ROLE_PERMISSIONS, ROLE_REACH, USER_VIEW, Reach, Role, CARE_RATE, CARE_CHOOSE, POLICY_CONTINUE,
    CASE_DECIDE, SAMPLE_CHECK, SANCTION_APPLY, SUPERVISION_MANAGE, SUPERVISION_VIEW, COCKPIT_VIEW, DUAL_CHECK,
    PROJECTION_RUN, PROJECTION_VIEW,
)
from ltci.api import api

ROLES = list(Role)

# Which targets a reach may see: own = the user's own institution or person; other = another one of
# the same region; away = one of another region.
VISIBLE = {
    "person": {Reach.REGION: {"own", "other"}, Reach.INSTITUTION: set(), Reach.SELF: {"own"}},
    "institution": {Reach.REGION: {"own", "other"}, Reach.INSTITUTION: {"own"}, Reach.SELF: set()},
    "region": {Reach.REGION: {"own"}, Reach.INSTITUTION: {"own"}, Reach.SELF: {"own"}},
    "job": {Reach.REGION: {"own"}, Reach.INSTITUTION: set(), Reach.SELF: set()},
    "application": {Reach.REGION: {"own", "other"}, Reach.INSTITUTION: set(), Reach.SELF: {"own"}},
    "certificate": {Reach.REGION: {"own"}, Reach.INSTITUTION: set(), Reach.SELF: {"own"}},
    # A task or review of someone else: never there for anyone (evaluators reach only their own).
    "none": {Reach.REGION: set(), Reach.INSTITUTION: set(), Reach.SELF: set()},
}


def target(world, kind: str, which: str):
    w = world["away"] if which == "away" else world["home"]
    if kind == "person":
        return (w.other_person if which == "other" else w.person).pk
    if kind == "institution":
        return (w.other_institution if which == "other" else w.institution).pk
    if kind == "job":
        return w.job.pk
    if kind == "application":
        return (w.other_application if which == "other" else w.application).pk
    if kind == "certificate":
        return w.certificate.pk
    if kind == "none":
        return 0
    return w.region.pk


def pdf_file():
    return SimpleUploadedFile("discharge.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")


def png_file():
    return SimpleUploadedFile("visit.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png")


def lead_file():
    return SimpleUploadedFile("leads.csv", "证件号码,姓名,名单日期\n".encode(), "text/csv")


def roster_file():
    return SimpleUploadedFile("roster.csv", "证件号码,姓名,区县,险种,参保日期\n".encode(), "text/csv")


# (method, path template as in the OpenAPI schema, permission, object kind or None, body)
API_ENDPOINTS = [
    ("get", "/api/me", None, None, None),
    ("get", "/api/schedule", SCHEDULE_VIEW, None, None),
    ("post", "/api/schedule/{code}/run", SCHEDULE_RUN, "none", None),
    ("get", "/api/users", USER_VIEW, None, None),
    ("get", "/api/regions", REGION_VIEW, None, None),
    ("get", "/api/regions/{code}", REGION_VIEW, "region", None),
    # Changning's document ended in 2020 (docs/decisions/0021); the world's xuzhou is within its term: 422.
    ("get", "/api/regions/{code}/continuations", REGION_VIEW, "region", None),
    ("post", "/api/regions/{code}/continuations", POLICY_CONTINUE, "region",
     {"document_number": "徐医保〔2026〕1号", "title": "延续执行通知", "issued_on": "2026-01-05"}),
    ("get", "/api/institutions", INSTITUTION_VIEW, None, None),
    ("get", "/api/institutions/{institution_id}", INSTITUTION_VIEW, "institution", None),
    ("get", "/api/persons", PERSON_VIEW, None, None),
    ("post", "/api/persons", PERSON_CHANGE, None, {"id_number": "11010519491231002X", "name": "赵丽"}),
    ("post", "/api/persons/register", PERSON_CHANGE, None,
     {"id_number": "320311199505051227", "name": "赵丽", "district": "泉山区", "scheme": "resident", "start": "2024-01-01"}),
    ("get", "/api/persons/export", PERSON_EXPORT, None, None),
    ("get", "/api/persons/{person_id}", PERSON_VIEW, "person", None),
    ("patch", "/api/persons/{person_id}", PERSON_CHANGE, "person", {"phone": "13912345678"}),
    ("post", "/api/persons/{person_id}/id-number", PERSON_VIEW_ID, "person", None),
    ("get", "/api/audit/events", AUDIT_VIEW, None, None),
    ("get", "/api/audit/events/export", AUDIT_EXPORT, None, None),
    ("post", "/api/imports/roster", PERSON_IMPORT, None, {"file": roster_file}),
    ("get", "/api/jobs/{job_id}", JOB_VIEW, "job", None),
    ("get", "/api/jobs/{job_id}/issues", JOB_VIEW, "job", None),
    ("post", "/api/contributions/billing", CONTRIBUTION_BILL, None, {"period": "2025"}),
    ("get", "/api/contributions/bills", CONTRIBUTION_VIEW, None, None),
    ("get", "/api/contributions/payments", CONTRIBUTION_VIEW, None, None),
    # The world has no bills yet: a permitted clerk gets 422 (nothing to pay), a refused role 403.
    ("post", "/api/contributions/payments", PAYMENT_RECORD, None,
     lambda w: {"person_id": w.person.pk, "period": "2025", "payer": "individual", "channel": "tax",
                "amount": "20.00", "reference": "T-1", "paid_on": "2025-02-01"}),
    ("post", "/api/contributions/payments/import", PAYMENT_RECORD, None, {"file": roster_file}),
    ("get", "/api/contributions/arrears?period=2025", CONTRIBUTION_VIEW, None, None),
    ("get", "/api/contributions/arrears/export?period=2025", CONTRIBUTION_EXPORT, None, None),
    ("get", "/api/persons/{person_id}/standing", CONTRIBUTION_VIEW, "person", None),
    # The world's people are enrolled already: a second enrolment is refused (422) after the checks.
    ("post", "/api/persons/{person_id}/enrolments", PERSON_CHANGE, "person",
     {"scheme": "resident", "start": "2024-01-01"}),
    ("post", "/api/persons/{person_id}/groups", PERSON_CHANGE, "person",
     {"group": "medical_aid", "evidence": "JZ-2024-001", "valid_from": "2024-01-01"}),
    ("post", "/api/persons/{person_id}/enrolments/end", PERSON_CHANGE, "person",
     {"end": "2024-06-30", "reason": "moved_out"}),
    # The assessment flow. The world's people have paid nothing: an application fails its pre-check (422).
    ("get", "/api/applications", APPLICATION_VIEW, None, None),
    ("post", "/api/applications", APPLICATION_SUBMIT, None,
     {"file": pdf_file, "discharge_summary": pdf_file, "applicant_name": "王小明", "applicant_relation": "child",
      "applicant_phone": "13800000000", "disabled_since": "2025-01-01", "pledge_signed": "true",
      "self_assessment": '{"eating": "dependent"}'}),
    ("get", "/api/applications/{pk}", APPLICATION_VIEW, "application", None),
    # Steps from the wrong state are refused (409) after the permission and scope checks.
    ("post", "/api/applications/{pk}/accept", APPLICATION_HANDLE, "application", None),
    ("post", "/api/applications/{pk}/refuse", APPLICATION_HANDLE, "application", {"note": "材料不全"}),
    ("post", "/api/applications/{pk}/screen", APPLICATION_HANDLE, "application", {"passed": True}),
    ("post", "/api/applications/{pk}/assign", APPLICATION_HANDLE, "application", None),
    ("post", "/api/applications/{pk}/reassign", APPLICATION_HANDLE, "application", {"note": "评估员病假"}),
    ("post", "/api/applications/{pk}/redraw", APPLICATION_HANDLE, "application", {"note": "专家出差"}),
    ("post", "/api/applications/{pk}/withdraw", APPLICATION_SUBMIT, "application", {"note": ""}),
    ("post", "/api/applications/{pk}/objections", OBJECTION_FILE, "application", {"reason": "等级偏低"}),
    ("post", "/api/applications/{pk}/certify", APPLICATION_HANDLE, "application", None),
    ("get", "/api/assessment/tasks", SITE_ASSESS, None, None),
    ("post", "/api/assessment/tasks/{pk}/visit", SITE_ASSESS, "none",
     {"file": png_file, "photo": png_file, "guardian": "王小明", "latitude": "34.2", "longitude": "117.1"}),
    ("get", "/api/assessment/reviews", REVIEW_DECIDE, None, None),
    ("post", "/api/assessment/reviews/{pk}/decision", REVIEW_DECIDE, "none", {"grade": "severe_1"}),
    ("get", "/api/assessment/publicity", CERTIFICATE_VIEW, None, None),
    ("get", "/api/certificates/{pk}", CERTIFICATE_VIEW, "certificate", None),
    ("get", "/api/certificates/{pk}/pdf", CERTIFICATE_VIEW, "certificate", None),
    ("get", "/api/assessment/ranking?start=2025-01-01&end=2025-12-31", ASSESSMENT_REPORT, None, None),
    ("get", "/api/assessment/ranking/applications?start=2025-01-01&end=2025-12-31", ASSESSMENT_REPORT, None, None),
    ("get", "/api/assessment/leads", ASSESSMENT_REPORT, None, None),
    # Xuzhou has no active discovery: a permitted clerk's import is refused (422).
    ("post", "/api/assessment/leads/import", APPLICATION_HANDLE, None, {"file": lead_file, "source": "civil_affairs"}),
    ("post", "/api/assessment/leads/{pk}", APPLICATION_HANDLE, "none", {"status": "contacted"}),
    # Care: the world's people are in no home mode (a check-in is refused, 409); its institutions
    # have no filed beds (an admission is refused, 422).
    ("post", "/api/visits/checkin", VISIT_RECORD, None,
     lambda w: {"request_id": "scope-1", "person_id": w.person.pk, "latitude": "34.26", "longitude": "117.18"}),
    ("post", "/api/visits/{pk}/checkout", VISIT_RECORD, "none",
     {"request_id": "scope-2", "latitude": "34.26", "longitude": "117.18", "items": ["SC06"]}),
    ("get", "/api/visits/today", VISIT_RECORD, None, None),
    ("get", "/api/visits/pending-acceptance", VISIT_ACCEPT, None, None),
    ("post", "/api/visits/{pk}/acceptance", VISIT_ACCEPT, "none", {"accept": True}),
    ("get", "/api/visits", CARE_VIEW, None, None),
    ("post", "/api/persons/{person_id}/care-choices", CARE_CHANGE, "person",
     {"mode": "home_visit", "effective_from": "2025-01-01"}),
    ("post", "/api/stays", CARE_CHANGE, None,
     lambda w: {"person_id": w.person.pk, "institution_id": w.institution.pk, "bed": "1", "admitted_on": "2025-01-01"}),
    ("post", "/api/stays/{pk}/discharge", CARE_CHANGE, "none", {"discharged_on": "2025-02-01"}),
    ("get", "/api/catalogue", REGION_VIEW, None, None),
    # Institutions: a designation with an invalid credit code is refused (422) after the checks.
    ("post", "/api/designations", INSTITUTION_MANAGE, None,
     {"name": "某机构", "credit_code": "1", "kind": "home_care", "district": "城区", "address": "路1号",
      "latitude": "34.2", "longitude": "117.1", "staff": 3, "licence_number": "X1", "licence_expiry": "2099-01-01",
      "liability_insurer": "保险公司", "liability_policy": "P1", "liability_expiry": "2099-01-01"}),
    ("get", "/api/designations", INSTITUTION_MANAGE, None, None),
    ("post", "/api/designations/{pk}/approve", INSTITUTION_MANAGE, "none",
     {"agreement_number": "A1", "start": "2026-01-01", "end": "2027-01-01", "modes": ["home_visit"]}),
    ("post", "/api/designations/{pk}/reject", INSTITUTION_MANAGE, "none", {"note": "不符合"}),
    ("post", "/api/institutions/{institution_id}/suspension", INSTITUTION_MANAGE, "institution",
     {"until": "2099-01-01", "reason": "诱导重复评估"}),
    # Termination is checked after suspension: both leave the world's institutions usable for later rows.
    ("post", "/api/institutions/{institution_id}/termination", INSTITUTION_MANAGE, "institution",
     {"on": "2026-01-01", "reason": ""}),
    ("post", "/api/institutions/{institution_id}/termination/withdrawal", INSTITUTION_MANAGE, "institution",
     {"reason": "登记有误"}),
    ("post", "/api/agreements/{pk}/prices", INSTITUTION_MANAGE, "none", {"prices": {"SC06": "40.00"}}),
    ("get", "/api/institutions/{institution_id}/rating", INSTITUTION_VIEW, "institution", None),
    ("post", "/api/institutions/{institution_id}/inspections", INSTITUTION_MANAGE, "institution",
     {"on": "2026-01-01", "score": 80}),
    ("post", "/api/institutions/{institution_id}/publicity-filings", CARER_MANAGE, "institution",
     {"title": "告知书", "channel": "宣传栏", "content": "服务项目与投诉电话"}),
    ("get", "/api/institutions/{institution_id}/carers", INSTITUTION_VIEW, "institution", None),
    # The same ID number again in the region is refused (422) after the first registration.
    ("post", "/api/institutions/{institution_id}/carers", CARER_MANAGE, "institution",
     {"name": "赵敏", "id_number": "11010519491231002X", "certificate_number": "ZG-1"}),
    ("post", "/api/carers/{pk}/suspensions", INSTITUTION_MANAGE, "none",
     {"start": "2026-01-01", "end": "2026-03-31", "reason": "自查"}),
    ("post", "/api/carers/{pk}/trainings", CARER_MANAGE, "none",
     {"course": "照护基础", "on": "2026-01-05", "hours": "8", "provider": "红十字会"}),
    ("post", "/api/visits/{pk}/corrections", CARE_CHANGE, "none", {"reason": "漏选项目"}),
    ("post", "/api/persons/{person_id}/care-plans", CARE_CHANGE, "person",
     {"valid_from": "2025-07-01", "items": [{"code": "SC06", "per_month": 2}]}),
    ("get", "/api/care-plans/{pk}", CARE_VIEW, "none", None),
    ("post", "/api/care-plans/{pk}/confirm", CARE_VIEW, "none", None),
    # A file without the catalogue's columns is refused (422) after the permission check.
    ("post", "/api/catalogue/import", CATALOGUE_CHANGE, None, {"file": roster_file}),
    # Events and family care: a file without the import's columns is refused (422); a family carer
    # registered to the own person is refused for the other one (422); the world has no family
    # carer, so days are refused (422).
    ("post", "/api/persons/{person_id}/events", CARE_CHANGE, "person", {"kind": "moved_away", "on": "2025-01-01"}),
    ("get", "/api/persons/{person_id}/events", CARE_VIEW, "person", None),
    ("post", "/api/events/import/inpatient", CARE_CHANGE, None, {"file": roster_file}),
    ("post", "/api/events/import/deaths", CARE_CHANGE, None, {"file": roster_file}),
    ("post", "/api/persons/{person_id}/family-carers", CARE_CHANGE, "person",
     {"name": "王小明", "id_number": "110105197206010154", "phone": "13800000000", "trained": True}),
    ("post", "/api/persons/{person_id}/family-care-days", CARE_CHANGE, "person", {"carer_id": 0, "days": ["2025-03-01"]}),
    # The fund: the world's books are empty, so a month closes and a budget is set; a fee, with no budget line
    # and nothing in the bank, is refused (422) after the checks.
    ("get", "/api/fund/balances", LEDGER_VIEW, None, None),
    ("get", "/api/fund/journals", LEDGER_VIEW, None, None),
    ("get", "/api/fund/periods", LEDGER_VIEW, None, None),
    ("post", "/api/fund/periods/close", LEDGER_MANAGE, None, {"month": "2025-01"}),
    ("get", "/api/fund/budget", LEDGER_VIEW, None, None),
    ("put", "/api/fund/budget", LEDGER_MANAGE, None, {"year": 2025, "lines": {"4101": "100.00"}}),
    ("post", "/api/fund/fees", LEDGER_MANAGE, None,
     {"kind": "assessment", "amount": "10.00", "on": "2025-03-01", "memo": "评估费"}),
    ("get", "/api/fund/fees", LEDGER_VIEW, None, None),
    ("post", "/api/fund/fees/{pk}/reversal", LEDGER_MANAGE, "none", {"reason": "录错"}),
    ("get", "/api/fund/cover-ratio", LEDGER_VIEW, None, None),
    ("get", "/api/fund/disclosure?start=2025-01&end=2025-03", DISCLOSURE_VIEW, None, None),
    ("get", "/api/fund/disclosure/pdf?start=2025-01&end=2025-03", DISCLOSURE_VIEW, None, None),
    # Projections: one is made (the world's register, three years, the central path); a trial of a month the
    # world has not settled is refused (422) after the permission check; none is there to read (404).
    ("post", "/api/fund/projections", PROJECTION_RUN, None, {"years": 3, "runs": 1}),
    ("get", "/api/fund/projections", PROJECTION_VIEW, None, None),
    ("get", "/api/fund/projections/{pk}", PROJECTION_VIEW, "none", None),
    ("post", "/api/fund/trials", PROJECTION_RUN, None, {"kind": "replay", "target": "2025-03", "draft_text": "x"}),
    ("get", "/api/fund/trials/{pk}", PROJECTION_VIEW, "none", None),
    # Settlement: the world has care to settle for nobody, so the run books nothing, a batch has nothing to pay
    # (409), and every claim, line, approval, hold, dispute and batch named is not there (404).
    ("post", "/api/settlement/runs", SETTLEMENT_RUN, None, {"month": "2025-03"}),
    ("get", "/api/settlement/runs/{pk}", CLAIM_VIEW, "none", None),
    ("get", "/api/settlement/claims", CLAIM_VIEW, None, None),
    ("get", "/api/settlement/claims/{pk}", CLAIM_VIEW, "none", None),
    ("get", "/api/settlement/claims/{pk}/lines", CLAIM_VIEW, "none", None),
    ("post", "/api/settlement/claims/{pk}/review", CLAIM_REVIEW, "none", {"note": ""}),
    ("post", "/api/settlement/approvals/{pk}/approve", CLAIM_APPROVE, "none", {"note": ""}),
    ("post", "/api/settlement/approvals/{pk}/return", CLAIM_APPROVE, "none", {"note": "退回"}),
    ("post", "/api/settlement/lines/{pk}/hold", CLAIM_REVIEW, "none", {"reason": "疑点"}),
    ("post", "/api/settlement/holds/{pk}/release", CLAIM_REVIEW, "none", None),
    ("post", "/api/settlement/lines/{pk}/dispute", CLAIM_DISPUTE, "none", {"reason": "床日有误"}),
    ("post", "/api/settlement/disputes/{pk}/answer", CLAIM_REVIEW, "none", {"answer": "维持"}),
    ("post", "/api/settlement/lines/{pk}/recover", CLAIM_APPROVE, "none", {"reason": "虚报"}),
    ("get", "/api/settlement/payables", PAYMENT_MAKE, None, None),
    ("put", "/api/settlement/payee-accounts", PAYMENT_MAKE, None,
     lambda w: {"institution_id": w.institution.pk, "account_name": "护理院", "bank": "工行",
                "account_number": "6222021234567890"}),
    ("post", "/api/settlement/payment-batches", PAYMENT_MAKE, None, None),
    ("get", "/api/settlement/payment-batches", CLAIM_VIEW, None, None),
    ("get", "/api/settlement/payment-batches/{pk}/bank-file", PAYMENT_MAKE, "none", None),
    ("post", "/api/settlement/payment-batches/{pk}/cancellation", PAYMENT_MAKE, "none", {"reason": "日期有误"}),
    ("post", "/api/settlement/payments/{pk}/return", PAYMENT_MAKE, "none", {"reason": "销户"}),
    # Supervision: the world has no hits, cases or samples, so opening a case names nothing (422), a month
    # has nothing to open (409), assigning names no sample (422), and every hit, case and sample named is
    # not there (404). The screening and the draw run over the world's empty month.
    ("get", "/api/supervision/hits", SUPERVISION_VIEW, None, None),
    ("get", "/api/supervision/hits/{pk}", SUPERVISION_VIEW, "none", None),
    ("post", "/api/supervision/screenings", SUPERVISION_MANAGE, None, {"month": "2025-03"}),
    ("get", "/api/supervision/rules", SUPERVISION_VIEW, None, None),
    ("post", "/api/supervision/rules/settings", SUPERVISION_MANAGE, None,
     {"rule": "checkin_far", "params": {"distance_m": 500}, "valid_from": "2025-01-01", "reason": "定位偏差"}),
    ("get", "/api/supervision/cases", SUPERVISION_VIEW, None, None),
    ("post", "/api/supervision/cases", SUPERVISION_MANAGE, None, {"hits": [0]}),
    ("post", "/api/supervision/cases/from-month", SUPERVISION_MANAGE, None, {"month": "2025-03"}),
    ("get", "/api/supervision/cases/{pk}", SUPERVISION_VIEW, "none", None),
    ("post", "/api/supervision/cases/{pk}/assign", SUPERVISION_MANAGE, "none", {"assigned_to": 0}),
    ("post", "/api/supervision/cases/{pk}/decision", CASE_DECIDE, "none",
     {"file": pdf_file, "evidence": pdf_file, "decision": "confirm", "finding": "属实"}),
    ("post", "/api/supervision/cases/{pk}/sanctions", SANCTION_APPLY, "none",
     {"kind": "fine", "reason": "违约", "amount": "100"}),
    ("post", "/api/supervision/sanctions/{pk}/withdrawal", SANCTION_APPLY, "none", {"reason": "误"}),
    ("post", "/api/supervision/samples/draw", SUPERVISION_MANAGE, None, {"month": "2025-03"}),
    ("get", "/api/supervision/samples", SUPERVISION_VIEW, None, None),
    ("post", "/api/supervision/samples/assign", SUPERVISION_MANAGE, None, {"samples": [0], "assigned_to": 0}),
    ("get", "/api/supervision/samples/mine", SAMPLE_CHECK, None, None),
    ("post", "/api/supervision/samples/{pk}/outcome", SAMPLE_CHECK, "none", {"method": "call", "outcome": "confirmed"}),
    ("get", "/api/supervision/ranking?start=2025-01-01&end=2025-12-31", SUPERVISION_VIEW, None, None),
    # 双人复核: the world has no requests, so every one named is not there (404).
    ("get", "/api/dual-control/requests", DUAL_CHECK, None, None),
    ("get", "/api/dual-control/requests/{pk}", DUAL_CHECK, "none", None),
    ("post", "/api/dual-control/requests/{pk}/approve", DUAL_CHECK, "none", {"note": ""}),
    ("post", "/api/dual-control/requests/{pk}/reject", DUAL_CHECK, "none", {"reason": "金额有误"}),
    ("post", "/api/dual-control/requests/{pk}/withdraw", DUAL_CHECK, "none", None),
    ("post", "/api/dual-control/requests/{pk}/account-number", DUAL_CHECK, "none", None),
    # The cockpit.
    ("get", "/api/cockpit", COCKPIT_VIEW, None, None),
    ("get", "/api/cockpit/population", COCKPIT_VIEW, None, None),
    ("post", "/api/cockpit/population", LEDGER_MANAGE, None,
     {"year": 2025, "residents": 1000, "elderly_60": 200, "source": "2025年统计年鉴"}),
    # The insured's portal (/api/my/…): insured accounts only (other roles 403). The world's insured
    # is not paid up (an application fails its pre-check, 422); the existing objection row above has
    # put the own application in dispute (409); a choice of an institution without an agreement is
    # refused (422); the person is served by no institution (a review 404s).
    ("get", "/api/my", None, None, None),
    ("get", "/api/my/applications", APPLICATION_VIEW, None, None),
    ("post", "/api/my/applications", APPLICATION_SUBMIT, None,
     {"file": pdf_file, "discharge_summary": pdf_file, "applicant_name": "王小明", "applicant_relation": "child",
      "applicant_phone": "13800000000", "disabled_since": "2025-01-01", "pledge_signed": "true",
      "self_assessment": '{"eating": "dependent"}'}),
    ("get", "/api/my/applications/{pk}", APPLICATION_VIEW, "application", None),
    ("post", "/api/my/applications/{pk}/objection", OBJECTION_FILE, "application", {"reason": "等级偏低"}),
    ("get", "/api/my/care-plans", CARE_VIEW, None, None),
    ("post", "/api/my/care-plans/{pk}/confirm", CARE_VIEW, "none", None),
    ("get", "/api/my/visits", CARE_VIEW, None, None),
    ("get", "/api/my/stays", CARE_VIEW, None, None),
    ("post", "/api/my/visits/{pk}/rating", CARE_RATE, "none", {"score": 5}),
    ("post", "/api/my/institutions/{institution_id}/reviews", CARE_RATE, "institution", {"score": 5}),
    ("get", "/api/my/institutions", CARE_CHOOSE, None, None),
    ("post", "/api/my/care-choices", CARE_CHOOSE, None,
     lambda w: {"institution_id": w.institution.pk, "mode": "home_visit", "effective_from": "2099-01-01"}),
    ("get", "/api/my/benefits", CLAIM_VIEW, None, None),
]
ALLOWED_STATUS = {("post", "/api/designations"): {422}, ("post", "/api/fund/trials"): {422}, ("post", "/api/regions/{code}/continuations"): {422},
                  ("post", "/api/institutions/{institution_id}/termination"): {422},
                  ("post", "/api/institutions/{institution_id}/termination/withdrawal"): {422},
                  ("post", "/api/institutions/{institution_id}/suspension"): {200, 422},
                  ("post", "/api/institutions/{institution_id}/carers"): {422},
                  ("post", "/api/contributions/payments"): {422}, ("post", "/api/persons/{person_id}/enrolments"): {422},
                  ("post", "/api/applications"): {422}, ("post", "/api/assessment/leads/import"): {422},
                  # The world's people are nobody's clients: institution staff find nobody (404, test_body_ids).
                  ("post", "/api/visits/checkin"): {404, 409}, ("post", "/api/persons/{person_id}/care-choices"): {422},
                  ("post", "/api/stays"): {404, 422}, ("post", "/api/catalogue/import"): {422},
                  ("post", "/api/settlement/payment-batches"): {409}, ("post", "/api/fund/fees"): {422},
                  ("post", "/api/my/applications"): {422}, ("post", "/api/my/applications/{pk}/objection"): {409, 422},
                  ("post", "/api/my/care-choices"): {422},
                  ("post", "/api/supervision/cases"): {404, 422}, ("post", "/api/supervision/cases/from-month"): {409},
                  ("post", "/api/supervision/samples/assign"): {404, 422},
                  ("post", "/api/persons/{person_id}/care-plans"): {422},
                  ("post", "/api/events/import/inpatient"): {422}, ("post", "/api/events/import/deaths"): {422},
                  ("post", "/api/persons/{person_id}/family-carers"): {422},
                  ("post", "/api/persons/{person_id}/family-care-days"): {404, 422},
                  **{("post", f"/api/applications/{{pk}}/{step}"): {409, 422}
                     for step in ("accept", "refuse", "screen", "assign", "reassign", "redraw", "withdraw",
                                  "objections", "certify")}}


def test_the_table_covers_every_api_endpoint():
    schema = api.get_openapi_schema()
    existing = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    covered = {(m, p.split("?")[0]) for m, p, *_ in API_ENDPOINTS}
    assert existing == covered, f"add these endpoints to API_ENDPOINTS: {sorted(existing - covered)}"


def _call(client, method, path, body, world=None):
    if body is None:
        return getattr(client, method)(path)
    if callable(body):
        body = body(world["home"])
    if "file" in body:  # multipart upload
        return client.post(path, {k: (v() if callable(v) else v) for k, v in body.items()})
    return getattr(client, method)(path, body, content_type="application/json")


def _path(template: str, value) -> str:
    return template.split("{")[0] + str(value) + template.split("}")[1] if "{" in template else template


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_permissions_and_scope(world, client_for, role):
    user = world["home"].users[role]
    client = client_for(user)
    allowed = ROLE_PERMISSIONS[role]
    reach = ROLE_REACH[role]
    for method, template, permission, kind, body in API_ENDPOINTS:
        may = (permission is None or permission in allowed) and (reach == Reach.SELF or not template.startswith("/api/my"))
        if kind is None:
            response = _call(client, method, template, body, world)
            if not may:
                assert response.status_code == 403, (role, method, template, response.content)
                assert response.json()["code"] == "forbidden"
            else:
                ok = {200, 201, 202} | ALLOWED_STATUS.get((method, template), set())
                assert response.status_code in ok, (role, method, template, response.content)
            continue
        for which in ("own", "other", "away"):
            if kind in ("region", "job", "certificate") and which == "other":
                continue
            response = _call(client, method, _path(template, target(world, kind, which)), body)
            if not may:
                expected = {403}
            elif which in VISIBLE[kind][reach]:
                expected = {200, 201} | ALLOWED_STATUS.get((method, template), set())
            else:
                expected = {404}
            assert response.status_code in expected, (role, method, template, which, response.content)
            if response.status_code >= 400 or not template.endswith("/pdf"):
                assert response["Content-Type"].startswith("application/json")
            if expected == {404}:
                assert response.json() == {"code": "not_found", "message": "对象不存在", "field": None}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_lists_hold_only_the_users_scope(world, client_for, role):
    home, away = world["home"], world["away"]
    user = home.users[role]
    client = client_for(user)
    reach = ROLE_REACH[role]
    perms = ROLE_PERMISSIONS[role]
    if REGION_VIEW in perms:
        assert [r["code"] for r in client.get("/api/regions").json()] == ["xuzhou"]
    if INSTITUTION_VIEW in perms:
        ids = {i["id"] for i in client.get("/api/institutions").json()}
        expected = {home.institution.pk} if reach == Reach.INSTITUTION else {home.institution.pk, home.other_institution.pk}
        assert ids == expected
    if PERSON_VIEW in perms:
        items = client.get("/api/persons").json()["items"]
        ids = {p["id"] for p in items}
        expected = {home.person.pk} if reach == Reach.SELF else {home.person.pk, home.other_person.pk}
        assert ids == expected
        assert away.person.pk not in ids
    if USER_VIEW in perms:
        regions = {u["region"] for u in client.get("/api/users").json()}
        assert regions == {"xuzhou"}
    if LEDGER_VIEW in perms:
        from datetime import date
        from decimal import Decimal

        from ltci.fund.services import Entry, post

        for w, amount in ((home, "12.34"), (away, "56.78")):
            post(region_id=w.region.pk, key=f"scope:{w.region.pk}", posted_on=date(2025, 1, 5), kind="test", memo="m",
                 source=w.region, entries=[Entry("1002", debit=Decimal(amount)), Entry("4101", credit=Decimal(amount))])
        items = client.get("/api/fund/journals").json()["items"]
        assert [j["key"] for j in items] == ["scope:xuzhou"]
        assert client.get("/api/fund/balances").json()["accounts"][0]["balance"] == "12.34"
    if AUDIT_VIEW in perms:
        client_for(away.users[Role.CLERK]).post(f"/api/persons/{away.person.pk}/id-number")  # an event elsewhere
        events = client.get("/api/audit/events?limit=500").json()["items"]
        assert events and {e["region"] for e in events} == {"xuzhou"}


PAGES = [
    # (method, url template, permission, object kind)
    ("get", "/", None, None),
    ("get", "/persons/", PERSON_VIEW, None),
    ("get", "/persons/export.xlsx", PERSON_EXPORT, None),
    ("get", "/persons/{}/", PERSON_VIEW, "person"),
    ("post", "/persons/{}/id-number", PERSON_VIEW_ID, "person"),
    ("get", "/institutions/", INSTITUTION_VIEW, None),
    ("get", "/regions/", REGION_VIEW, None),
    ("get", "/users/", USER_VIEW, None),
    ("get", "/audit/", AUDIT_VIEW, None),
    ("get", "/audit/export.xlsx", AUDIT_EXPORT, None),
    ("get", "/persons/import/", PERSON_IMPORT, None),
    ("get", "/persons/register/", PERSON_CHANGE, None),
    ("get", "/persons/import/template.xlsx", PERSON_IMPORT, None),
    ("get", "/jobs/{}/", JOB_VIEW, "job"),
    ("get", "/jobs/{}/progress", JOB_VIEW, "job"),
    ("get", "/jobs/{}/report.xlsx", JOB_VIEW, "job"),
    ("get", "/contributions/billing/", CONTRIBUTION_BILL, None),
    ("get", "/contributions/arrears/?period=2025", CONTRIBUTION_VIEW, None),
    ("get", "/contributions/arrears/export.xlsx?period=2025", CONTRIBUTION_EXPORT, None),
    ("get", "/contributions/payments/", CONTRIBUTION_VIEW, None),
    ("get", "/contributions/payments/export.xlsx", CONTRIBUTION_EXPORT, None),
    ("get", "/contributions/payments/import/", PAYMENT_RECORD, None),
    ("get", "/contributions/payments/import/template.xlsx", PAYMENT_RECORD, None),
    ("post", "/contributions/persons/{}/payments", PAYMENT_RECORD, "person"),
    ("post", "/persons/{}/enrol", PERSON_CHANGE, "person"),
    ("post", "/persons/{}/end-enrolment", PERSON_CHANGE, "person"),
    ("post", "/persons/{}/groups", PERSON_CHANGE, "person"),
    ("get", "/assessment/", None, None),
    ("get", "/assessment/apply/", APPLICATION_SUBMIT, None),
    ("get", "/assessment/publicity/", CERTIFICATE_VIEW, None),
    ("get", "/assessment/ranking/", ASSESSMENT_REPORT, None),
    ("get", "/assessment/discovery/", ASSESSMENT_REPORT, None),
    ("get", "/assessment/{}/", APPLICATION_VIEW, "application"),
    ("post", "/assessment/{}/accept", APPLICATION_HANDLE, "application"),
    ("get", "/assessment/certificates/{}.pdf", CERTIFICATE_VIEW, "certificate"),
    ("get", "/care/visits/", VISIT_RECORD, None),
    ("get", "/care/visits/acceptance/", VISIT_ACCEPT, None),
    ("get", "/care/visits/{}/acceptance/", VISIT_ACCEPT, "none"),
    ("get", "/institutions/catalogue/", REGION_VIEW, None),
    ("get", "/institutions/catalogue/export.xlsx", REGION_VIEW, None),
    ("get", "/care/plans/", CARE_VIEW, None),
    ("get", "/institutions/{}/", INSTITUTION_VIEW, "institution"),
    ("get", "/institutions/designations/", INSTITUTION_MANAGE, None),
    ("get", "/care/events/", CARE_VIEW, None),
    ("get", "/fund/", LEDGER_VIEW, None),
    ("get", "/fund/journals/", LEDGER_VIEW, None),
    ("get", "/fund/disclosure/", DISCLOSURE_VIEW, None),
    ("get", "/fund/disclosure.pdf?start=2025-01&end=2025-03", DISCLOSURE_VIEW, None),
    ("post", "/fund/periods/close", LEDGER_MANAGE, None),
    ("post", "/fund/budget", LEDGER_MANAGE, None),
    ("post", "/fund/fees", LEDGER_MANAGE, None),
    ("post", "/fund/fees/{}/reverse", LEDGER_MANAGE, "none"),
    ("get", "/dual-control/", DUAL_CHECK, None),
    ("post", "/dual-control/{}/action", DUAL_CHECK, "none"),
    ("post", "/dual-control/{}/account-number", DUAL_CHECK, "none"),
    ("get", "/settlement/", CLAIM_VIEW, None),
    ("get", "/settlement/payments/", PAYMENT_MAKE, None),
    ("get", "/settlement/payments/{}/", PAYMENT_MAKE, "none"),
    ("post", "/settlement/transfers/{}/return", PAYMENT_MAKE, "none"),
    ("get", "/settlement/payments/account?institution={}", PAYMENT_MAKE, "institution"),
    ("get", "/settlement/payments/account?person={}", PAYMENT_MAKE, "person"),
    ("post", "/settlement/payments/account", PAYMENT_MAKE, None),
    ("get", "/settlement/claims/{}/", CLAIM_VIEW, "none"),
    ("get", "/settlement/claims/{}/statement.pdf", CLAIM_VIEW, "none"),
    ("get", "/settlement/statements/{}/2025-03.pdf", CLAIM_VIEW, "person"),
    ("get", "/supervision/", SUPERVISION_VIEW, None),
    ("post", "/supervision/", SUPERVISION_MANAGE, None),
    ("get", "/supervision/hits/", SUPERVISION_VIEW, None),
    ("get", "/supervision/hits/{}/", SUPERVISION_VIEW, "none"),
    ("get", "/supervision/rules/", SUPERVISION_VIEW, None),
    ("post", "/supervision/rules/", SUPERVISION_MANAGE, None),
    ("get", "/supervision/cases/", SUPERVISION_VIEW, None),
    ("post", "/supervision/cases/open", SUPERVISION_MANAGE, None),
    ("post", "/supervision/cases/open-month", SUPERVISION_MANAGE, None),
    ("get", "/supervision/cases/{}/", SUPERVISION_VIEW, "none"),
    ("post", "/supervision/cases/{}/action", SUPERVISION_VIEW, "none"),
    ("get", "/supervision/cases/{}/evidence", SUPERVISION_VIEW, "none"),
    ("get", "/supervision/samples/", SUPERVISION_VIEW, None),
    ("post", "/supervision/samples/draw", SUPERVISION_MANAGE, None),
    ("post", "/supervision/samples/assign", SUPERVISION_MANAGE, None),
    ("get", "/supervision/samples/mine", SAMPLE_CHECK, None),
    ("post", "/supervision/samples/{}/record", SAMPLE_CHECK, "none"),
    ("get", "/supervision/ranking/", SUPERVISION_VIEW, None),
    ("get", "/cockpit/", COCKPIT_VIEW, None),
    ("get", "/cockpit/population/", COCKPIT_VIEW, None),
    ("post", "/cockpit/population/", LEDGER_MANAGE, None),
    # The insured's portal: insured accounts only (other roles 403).
    ("get", "/my/", None, None),
    ("get", "/my/apply/", APPLICATION_SUBMIT, None),
    ("get", "/my/applications/{}/", APPLICATION_VIEW, "application"),
    ("post", "/my/applications/{}/objection", OBJECTION_FILE, "application"),
    ("get", "/my/care/", CARE_VIEW, None),
    ("get", "/my/plans/{}/", CARE_VIEW, "none"),
    ("post", "/my/plans/{}/confirm", CARE_VIEW, "none"),
    ("post", "/my/visits/{}/rating", CARE_RATE, "none"),
    ("get", "/my/institutions/", CARE_CHOOSE, None),
    ("post", "/my/institutions/choose", CARE_CHOOSE, None),
    ("post", "/my/institutions/{}/review", CARE_RATE, "institution"),
    ("get", "/my/benefits/", CLAIM_VIEW, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pages_permissions_and_scope(world, client_for, role):
    client = client_for(world["home"].users[role])
    allowed = ROLE_PERMISSIONS[role]
    reach = ROLE_REACH[role]
    for method, template, permission, kind in PAGES:
        may = (permission is None or permission in allowed) and (reach == Reach.SELF or not template.startswith("/my/"))
        whiches = ("own", "away") if kind in ("region", "job", "certificate") else ("own", "other", "away")
        targets = [("own", None)] if kind is None else [(w, target(world, kind, w)) for w in whiches]
        for which, value in targets:
            url = template.format(value) if value is not None else template
            response = getattr(client, method)(url)
            success = 302 if method == "post" and "id-number" not in url else 200  # a form post redirects back
            if not may:
                expected = 403
            elif kind is None:
                expected = success
            else:
                expected = success if which in VISIBLE[kind][reach] else 404
            assert response.status_code == expected, (role, url, which)
            if expected == 404:
                away = world["away"].person
                assert away.name.encode() not in response.content


@pytest.mark.django_db
def test_pages_show_no_other_regions_rows(world, client_for):
    client = client_for(world["home"].users[Role.CLERK])
    body = client.get("/persons/").content.decode()
    assert world["home"].person.name in body
    assert world["away"].person.masked_id not in body
    body = client.get("/institutions/").content.decode()
    assert world["home"].institution.name in body
    assert world["away"].institution.name not in body


@pytest.mark.django_db
def test_anonymous_requests_are_refused(world, client):
    assert client.get("/api/persons").status_code == 401
    assert client.get("/api/persons").json()["code"] == "unauthenticated"
    response = client.get("/persons/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_a_user_without_region_sees_nothing(world, client_for):
    from ltci.accounts.models import User

    stray = User.objects.create(username="stray", role=Role.CLERK)
    client = client_for(stray)
    assert client.get("/api/persons").status_code == 403
    assert client.get("/api/regions").status_code == 403
