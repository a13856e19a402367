"""Every integrity page opens for the roles it serves."""

import pytest


@pytest.mark.parametrize("role", ["secretary", "admin", "reviewer"])
def test_pages_open_for_readers(client, auth, world, role):
    point = world.point()
    r = world.rectification(point)
    auth.login(world.users[role])
    for url in [
        "/integrity/",
        f"/integrity/points/{point.id}",
        "/integrity/rectifications",
        f"/integrity/rectifications/{r.id}",
        "/integrity/reminders",
        "/integrity/heatmap",
        "/integrity/heatmap?basis=residual",
        "/integrity/export.xlsx",
        "/",
    ]:
        assert client.get(url).status_code == 200, url


def test_pages_open_for_secretary_forms(client, auth, world):
    point = world.point()
    r = world.rectification(point)
    auth.login(world.users["secretary"])
    for url in [
        "/integrity/points/new",
        f"/integrity/points/{point.id}/edit",
        f"/integrity/points/{point.id}/review",
        f"/integrity/points/{point.id}/rectifications/new",
        f"/integrity/rectifications/{r.id}/edit",
        "/integrity/reminders/new",
        "/integrity/import",
        "/integrity/mine",
    ]:
        assert client.get(url).status_code == 200, url


def test_member_lands_on_own_post(client, auth, world):
    world.point()
    auth.login(world.users["owner"])
    resp = client.get("/integrity/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/integrity/mine")
    page = client.get("/integrity/mine").get_data(as_text=True)
    assert "信访事项受理中优亲厚友" in page
    assert client.get("/").status_code == 200
