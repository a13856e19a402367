"""Workbench panels: each domain contributes panels; a role sees only its own, and a
panel with nothing to show is left out."""

import pytest

from partybuild.core import workbench
from partybuild.core.permissions import Role


@pytest.fixture
def panels(monkeypatch):
    monkeypatch.setattr(workbench, "_PANELS", {})
    workbench.register(
        workbench.Panel(
            "toy.todo",
            "待办示例",
            lambda user, today: workbench.PanelData(
                items=[workbench.Item("待审核的示例", 3, "/toy?state=submitted", "warning")]
            ),
            roles=frozenset({Role.secretary}),
        ),
        workbench.Panel(
            "toy.empty",
            "空面板",
            lambda user, today: workbench.PanelData(),
            roles=frozenset({Role.secretary, Role.member}),
        ),
    )


def test_secretary_sees_her_panel_with_count_and_link(client, auth, panels):
    auth.login("secretary")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="panel-toy.todo"' in html
    assert "待审核的示例" in html and 'href="/toy?state=submitted"' in html
    assert "空面板" not in html


def test_member_does_not_see_a_secretary_panel(client, auth, panels):
    auth.login("member")
    html = client.get("/").get_data(as_text=True)
    assert "待办示例" not in html and 'data-testid="workbench"' not in html
