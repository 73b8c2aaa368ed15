"""The JSON API under /api/ (OpenAPI docs at /api/docs, served from local files).

Every error is JSON: {"code": ..., "message": ..., "field": ...}, with `field` naming the input at
fault when there is one.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation, ValidationError
from django.http.multipartparser import MultiPartParserError
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from ltci.accounts.api import router as accounts_router
from ltci.assessment.api import router as assessment_router
from ltci.assessment.services import NotAllowed, PrecheckFailed
from ltci.care.api import router as care_router
from ltci.care.visits import Refused
from ltci.audit.api import router as audit_router
from ltci.contributions.api import router as contributions_router
from ltci.core.api import router as jobs_router
from ltci.dualcontrol.api import router as dualcontrol_router
from ltci.core.edge import EdgeAPI, pydantic_reason
from ltci.core.middleware import denied
from ltci.enrolment.api import router as enrolment_router
from ltci.fund.api import router as fund_router
from ltci.fund.projection_api import router as projection_router
from ltci.providers.api import router as providers_router
from ltci.regions.api import router as regions_router
from ltci.settlement.api import router as settlement_router
from ltci.supervision.api import router as supervision_router
from ltci.cockpit.api import router as cockpit_router
from ltci.portal.api import router as portal_router
from ltci.policy.errors import PolicyError
from ltci.settlement.review import StepRefused

log = logging.getLogger(__name__)

api = EdgeAPI(
    title="长护险信息平台 API",
    version="1",
    description="ltci: long-term care insurance platform. Session authentication; every error is "
    '{"code", "message", "field"}.',
    auth=django_auth,
    urls_namespace="api",
)


def error(request, status: int, code: str, message: str, field: str | None = None, **extra):
    body = {"code": code, "message": message, "field": field, **extra}
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def _invalid_input(request, exc):
    errors = []
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "payload", "form")]
        errors.append({"field": ".".join(loc) or None, "message": pydantic_reason(e)})
    first = errors[0] if errors else {"field": None, "message": "invalid"}
    return error(request, 422, "invalid", f"{first['field']}: {first['message']}" if first["field"] else first["message"],
                 first["field"], errors=errors)


@api.exception_handler(PrecheckFailed)
def _precheck_failed(request, exc):
    reasons = [{**r, "until": r["until"].isoformat() if r["until"] else None} for r in exc.reasons]
    return error(request, 422, "precheck_failed", "；".join(r["message"] for r in reasons), "precheck",
                 reasons=reasons)


@api.exception_handler(NotAllowed)
def _not_allowed(request, exc):
    return error(request, 409, "not_allowed", exc.messages[0])


@api.exception_handler(StepRefused)
def _step_refused(request, exc):
    return error(request, 409, "not_allowed", exc.messages[0])


@api.exception_handler(Refused)
def _refused(request, exc):
    return error(request, 409, "refused", exc.messages[0])


@api.exception_handler(ValidationError)
def _invalid_data(request, exc):
    if hasattr(exc, "error_dict"):
        errors = [{"field": None if f == "__all__" else f, "message": m}
                  for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        errors = [{"field": None, "message": m} for m in exc.messages]
    first = errors[0]
    return error(request, 422, "invalid", first["message"], first["field"], errors=errors)


@api.exception_handler(PolicyError)
def _unanswerable(request, exc):
    """A question the policy engine cannot answer that no service turned into a refusal of its own
    (a date before the region's first policy version): the engine's reason, not a 500."""
    return error(request, 422, "invalid", exc.words(), None)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error(request, 401, "unauthenticated", "请先登录")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return denied(request, error(request, 403, "forbidden", "您的角色无权进行此操作"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, "not_found", "对象不存在")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400:  # django-ninja could not read the body as JSON or as the form it declared
        return error(request, 400, "bad_request", "请求体无法解析（须为声明的 JSON 或表单格式）")
    if exc.status_code == 403:  # the session's CSRF check
        return denied(request, error(request, 403, "forbidden", "CSRF 校验失败，请刷新页面后重试"))
    return error(request, exc.status_code, getattr(exc, "code", "error"), str(exc))


@api.exception_handler(MultiPartParserError)
def _unreadable_form(request, exc):
    """A multipart body without its boundary, or cut short: the client's fault, not a 500."""
    return error(request, 400, "bad_request", "表单数据无法解析（multipart 格式不正确）")


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error(request, 413, "too_large", "请求数据过大")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    return error(request, 400, "bad_request", "请求格式不正确")


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("API error on %s", request.path)
    return error(request, 500, "internal", "服务器内部错误，已记录")


api.add_router("/", accounts_router)
api.add_router("/", regions_router)
api.add_router("/", providers_router)
api.add_router("/", enrolment_router)
api.add_router("/", audit_router)
api.add_router("/", contributions_router)
api.add_router("/", jobs_router)
api.add_router("/", assessment_router)
api.add_router("/", care_router)
api.add_router("/", settlement_router)
api.add_router("/", fund_router)
api.add_router("/", projection_router)
api.add_router("/", supervision_router)
api.add_router("/", dualcontrol_router)
api.add_router("/", cockpit_router)
api.add_router("/", portal_router)
