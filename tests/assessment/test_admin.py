"""The evaluator pool is kept in the admin: listed with its kinds and titles, recusals inline."""

from ltci.accounts.services import create_user


def test_the_platform_administrator_keeps_the_pool_in_the_admin(world, pool, client_for):
    admin = create_user(username="root", password=None, role="", full_name="平台管理员", is_superuser=True,
                        is_staff=True)
    client = client_for(admin)
    page = client.get("/admin/assessment/evaluator/").content.decode()
    assert "评估3（评定专家）" in page and "副高级" in page
    assert client.get(f"/admin/assessment/evaluator/{pool.experts[0].pk}/change/").status_code == 200
