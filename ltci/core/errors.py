"""Error pages in Chinese; under /api/ the same errors as JSON with a code and a message."""

from django.http import JsonResponse
from django.shortcuts import render

_API_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    403: ("forbidden", "您的角色无权进行此操作"),
    404: ("not_found", "对象不存在"),
    500: ("internal", "服务器内部错误，已记录"),
}


def _respond(request, status: int, title: str, text: str):
    if request.path.startswith("/api/"):
        code, message = _API_MESSAGES[status]
        return JsonResponse({"code": code, "message": message, "field": None}, status=status)
    return render(request, "core/error.html", {"title": title, "text": text, "status": status}, status=status)


def refuse(request, status: int, code: str, title: str, text: str, field: str | None = None):
    """A refusal with its own words: JSON under /api/ (the message is `text`), a page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": text, "field": field}, status=status)
    return render(request, "core/error.html", {"title": title, "text": text, "status": status}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, "请求有误", "请求的格式不正确，请返回重试。")


def forbidden(request, exception=None):
    return _respond(request, 403, "无权访问", "您的角色无权使用此功能。如需开通，请联系本地区的医保局管理员。")


def not_found(request, exception=None):
    return _respond(request, 404, "页面不存在", "您要找的页面或记录不存在，或不在您的数据范围内。")


def server_error(request):
    return _respond(request, 500, "服务器错误", "服务器出现错误，已记录。请稍后重试。")


def reasons(exc) -> str:
    """A ValidationError's messages in one line, for a page message, a job or a command."""
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    return "；".join(m for ms in exc.message_dict.values() for m in ms)


def error_pairs(exc) -> list[tuple[str, str]]:
    """A ValidationError as (field, message) pairs for a page: a list, since a dict whose key is
    'items' would be read as its `.items` method's value by the template language."""
    if hasattr(exc, "error_dict"):
        return [(field, m) for field, ms in exc.message_dict.items() for m in ms]
    return [("__all__", m) for m in exc.messages]
