"""Issue 10, point 10: configuration names (PARTYBUILD_…) are for admins; everybody else
is told to ask the admin."""

import pytest

from tests.commitments.conftest import world  # noqa: F401 - the shared fixture


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _plain_get_pages(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and not rule.rule.endswith((".xlsx", ".docx", ".png", ".svg", ".ico", ".csv"))
        and not rule.rule.startswith("/static")
    )


@pytest.mark.parametrize("role", ["secretary", "reviewer", "member"])
def test_no_configuration_names_for_non_admins(app, client, auth, world, role):  # noqa: F811
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"  # the QR sheet warns
    user = {"secretary": world.secretary, "member": world.owner}.get(role)
    auth.login(user or role)
    for path in _plain_get_pages(app):
        resp = client.get(path)
        if resp.status_code == 200 and resp.mimetype == "text/html":
            assert "PARTYBUILD_" not in _text(resp), path
        resp.close()


def test_qr_sheet_names_the_setting_for_admins_only(app, client, auth, world):  # noqa: F811
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    auth.login(world.secretary)
    page = _text(client.get("/commitments/qr"))
    assert "请联系系统管理员" in page and "PARTYBUILD_" not in page
    auth.login("admin")
    page = _text(client.get(f"/commitments/qr?branch={world.org.a.id}"))
    assert "PARTYBUILD_PUBLIC_BASE_URL" in page


def test_greeting_contact_page_names_the_mail_setting_for_admins_only(client, auth, make_member):
    member = make_member(name="张三")
    auth.login("secretary")
    page = _text(client.get(f"/greetings/members/{member.id}/email"))
    assert "尚未配置邮件服务器" in page and "请联系系统管理员" in page
    assert "PARTYBUILD_" not in page
    auth.login("admin")
    page = _text(client.get(f"/greetings/members/{member.id}/email"))
    assert "PARTYBUILD_MAIL_SERVER" in page
