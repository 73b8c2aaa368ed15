"""Files people upload for import: checked by name and size, kept under var/uploads with their job."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from .errors import reasons

ALLOWED = {".xlsx", ".csv"}

# The routes that take files (`request.resolver_match.route`), each with the setting that caps one
# file and how many files one request may carry. A request body longer than that (plus the form
# fields' allowance) is refused with 413 before it is read (ltci.core.middleware.EdgeMiddleware);
# every other route takes DATA_UPLOAD_MAX_MEMORY_SIZE. save_upload still checks each file.
IMPORT, MATERIAL = "MAX_IMPORT_BYTES", "MATERIAL_MAX_BYTES"
UPLOAD_ROUTES = {
    "persons/import/": (IMPORT, 1),
    "contributions/payments/import/": (IMPORT, 1),
    "institutions/catalogue/": (IMPORT, 1),
    "care/events/": (IMPORT, 1),
    "assessment/discovery/": (IMPORT, 1),
    "assessment/apply/": (MATERIAL, 10),
    "my/apply/": (MATERIAL, 10),
    "assessment/site/<int:pk>/": (MATERIAL, 1),
    "supervision/cases/<int:pk>/action": (MATERIAL, 1),
    "fund/projections/": (IMPORT, 1),  # a draft policy parameter file
    "fund/trials/": (IMPORT, 1),
    "api/imports/roster": (IMPORT, 1),
    "api/contributions/payments/import": (IMPORT, 1),
    "api/catalogue/import": (IMPORT, 1),
    "api/events/import/inpatient": (IMPORT, 1),
    "api/events/import/deaths": (IMPORT, 1),
    "api/assessment/leads/import": (IMPORT, 1),
    "api/applications": (MATERIAL, 10),
    "api/my/applications": (MATERIAL, 10),
    "api/assessment/tasks/<pk>/visit": (MATERIAL, 1),
    "api/supervision/cases/<pk>/decision": (MATERIAL, 1),
}


def largest_body() -> int:
    """What the server buffers at most for one request: the largest route's limit."""
    return max(body_limit(route) or 0 for route in [None, *UPLOAD_ROUTES])


def body_limit(route: str | None) -> int | None:
    """The most bytes a request body to `route` may hold (None: no limit is set)."""
    form = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if route not in UPLOAD_ROUTES:
        return form
    setting, files = UPLOAD_ROUTES[route]
    return files * getattr(settings, setting) + (form or 0)


def save_upload(upload, *, field: str = "file", allowed: dict | set = ALLOWED, max_bytes: int | None = None,
                subdir: str = "") -> tuple[Path, str]:
    """(where it was saved, its SHA-256); refuses a missing, empty, too large or unknown kind of file.

    `allowed` is a set of suffixes, or {suffix: the bytes such a file starts with}, so that a
    renamed file of another kind is refused.
    """
    max_bytes = max_bytes or settings.MAX_IMPORT_BYTES
    kinds = " 或 ".join(sorted(allowed))
    if upload is None:
        raise ValidationError({field: "请选择文件"})
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in allowed:
        raise ValidationError({field: f"只接受 {kinds} 文件"})
    if upload.size == 0:
        raise ValidationError({field: "文件为空"})
    if upload.size > max_bytes:
        raise ValidationError({field: f"文件超过 {max_bytes // (1024 * 1024)} MB"})
    if isinstance(allowed, dict):
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(magic) for magic in allowed[suffix]):
            raise ValidationError({field: f"文件内容与扩展名 {suffix} 不符"})
    folder = Path(settings.UPLOAD_DIR) / subdir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    return path, digest.hexdigest()


def start_import_from_request(request, start_import, *, file, strict: bool, dry_run: bool):
    """Saves an uploaded file and starts its import job for the user's region; returns the job."""
    from django.conf import settings

    path, digest = save_upload(file)
    return start_import(path, request.user.region, strict=strict, dry_run=dry_run, user=request.user,
                        title=file.name, background=settings.JOBS_IN_BACKGROUND,
                        params={"sha256": digest, "file": path.name})


def import_page(request, *, kind: str, start_import, columns, template_name: str, back: str):
    """An import's page: the upload form with the file's columns and recent imports; its POST
    starts the job. The caller has checked the permission to import."""
    from django.shortcuts import render

    from ltci.accounts.roles import JOB_VIEW
    from ltci.accounts.scope import visible

    from .models import Job

    if request.method == "POST":
        return import_page_post(request, start_import, back)
    recent = visible(Job.objects.filter(kind=kind), request.user)[:20] if request.user.can(JOB_VIEW) else []
    return render(request, template_name, {"columns": columns, "recent": recent})


def import_page_post(request, start_import, back: str):
    """The POST of an import page: start the job and show it, or go back with the reason."""
    from django.contrib import messages
    from django.shortcuts import redirect

    try:
        job = start_import_from_request(request, start_import, file=request.FILES.get("file"),
                                        strict=request.POST.get("mode") != "lenient",
                                        dry_run=bool(request.POST.get("dry_run")))
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect(back)
    return redirect("job_detail", job.pk)
