"""A refused form comes back with everything typed and chosen, and each reason beside its field in
Chinese, with no internal field name: the clerk's application form, the assessor's phone form (all
17 scale answers, the guardian, the coordinates) and the expert's review.

The finding: after a refused save the assessor's form and the application form came back empty."""

import re

from ltci.accounts.roles import Role
from ltci.assessment.models import Application

from .conftest import SEVERE_1, walk
from .test_pages_and_api import apply_form


def _selected(page: str, name: str) -> str | None:
    """The value of the option selected in the select `name`, if any."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1)) if select else None
    return chosen.group(1) if chosen else None


def test_the_assessors_refused_form_keeps_every_answer(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="assigned")
    task = app.site_assessments.get()
    mine = client_for(task.first.user)
    answers = {f"{ind}.{item}": str(score) for ind, items in SEVERE_1.items() for item, score in items.items()}
    missing = sorted(answers)[0]
    data = {**answers, missing: "", "guardian": "王小明", "latitude": "34.261", "longitude": "117.188"}
    response = mine.post(f"/assessment/site/{task.pk}/", data)  # no answer to one item, no photo
    page = response.content.decode()
    assert response.status_code == 422
    assert len(answers) == 17
    for name, score in answers.items():
        assert _selected(page, name) == (None if name == missing else score), name
    assert 'value="王小明"' in page and 'value="34.261"' in page and 'value="117.188"' in page
    assert "请重新拍摄或选择照片" in page
    label = re.search(r'<span class="field-error" role="alert">请选择“([^”]+)”的得分</span>', page)
    assert label is not None  # beside its item, by its Chinese label
    assert "<code>" not in page and "scale." not in page.split('<form')[0]  # no field code in the reasons
    assert app.site_assessments.get().proposed_grade in (None, "")


def test_the_clerks_refused_application_keeps_what_was_typed_and_chosen(world, pool, applicant, client_for):
    clerk = client_for(world["home"].users[Role.CLERK])
    institution = world["home"].institution
    response = clerk.post("/assessment/apply/", apply_form(
        id_number=applicant.id_number, acceptance_point="彭城社区卫生服务中心", applicant_phone="12",
        serving_institution=str(institution.pk), pledge_signed="on", sa_eating="independent"))
    page = response.content.decode()
    assert response.status_code == 422 and not Application.objects.exists()
    assert re.search(r'<span class="field-error" role="alert">请填写7–15位数字的联系电话</span>', page)
    assert "id_number" not in page.split("<form")[0] and "applicant_phone：" not in page
    assert f'value="{applicant.id_number}"' in page and 'value="彭城社区卫生服务中心"' in page
    assert 'value="王小明"' in page and 'value="12"' in page
    assert _selected(page, "serving_institution") == str(institution.pk)
    assert _selected(page, "applicant_relation") == "child"
    assert re.search(r'name="pledge_signed" checked', page)
    assert re.search(r'name="sa_eating" value="independent" required checked', page)
    assert "请重新选择材料文件" in page


def test_the_experts_refused_review_keeps_the_reason(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="in_review")
    review = app.reviews.first()
    client = client_for(review.expert.user)
    response = client.post(f"/assessment/reviews/{review.pk}/", {"grade": "", "reason": "资料显示进食依赖"})
    page = response.content.decode()
    assert response.status_code == 422 and 'value="资料显示进食依赖"' in page
    assert re.search(r'<span class="field-error" role="alert">请选择等级：', page)
