"""The commitments panels of the workbench: counts that link to exactly the filtered
list, per role, in a fixed number of queries whatever the data size."""

from datetime import timedelta

from partybuild.commitments.models import CommentState, CommitmentState, PublicRating
from partybuild.extensions import db


def _rating(c, comment="很好", state=CommentState.pending, n=0):
    db.session.add(
        PublicRating(
            commitment_id=c.id,
            level="satisfied",
            comment=comment,
            comment_state=state if comment else CommentState.none,
            browser_hash=f"b{c.id}-{n}",
            ip_hash="ip",
            rated_on=c.created_at.date() if c.created_at else None,
        )
    )


def _panel(html: str, key: str) -> str:
    start = html.index(f'data-testid="panel-{key}"')
    return html[
        start : html.index('data-testid="panel-', start + 10)
        if html.find('data-testid="panel-', start + 10) > 0
        else len(html)
    ]


def test_secretary_counts_link_to_the_filtered_lists(client, auth, world):
    for _ in range(2):
        world.commitment(CommitmentState.submitted)
    world.commitment(CommitmentState.awaiting_evaluation)
    late = world.commitment(CommitmentState.in_progress, deadline=world.today - timedelta(days=3))
    c = world.commitment(CommitmentState.published)
    _rating(c)
    db.session.commit()
    world.commitment(CommitmentState.submitted, is_withdrawn=True, withdrawn_at=late.created_at)

    auth.login(world.secretary)
    html = client.get("/").get_data(as_text=True)
    panel = _panel(html, "commitments.todo")
    assert 'href="/commitments/review">待审核的承诺' in panel
    assert panel.count('data-testid="count">2<') >= 1
    assert 'href="/commitments/overview?state=awaiting_evaluation"' in panel
    assert 'href="/commitments/moderation?state=pending"' in panel
    assert 'href="/commitments/overview?flag=overdue"' in panel
    # The number shown is the number of rows the link lists.
    review = client.get("/commitments/review").get_data(as_text=True)
    assert review.count('href="/commitments/') >= 2
    overdue = client.get("/commitments/overview?flag=overdue").get_data(as_text=True)
    assert f"/commitments/{late.id}" in overdue


def test_secretary_counts_are_scoped_to_her_branch(client, auth, world, org, make_member):
    other = make_member(branch=org.b, name="外支部")
    batch_b = world.batch.__class__(
        branch_id=org.b.id,
        title="B批次",
        commit_start=world.batch.commit_start,
        commit_end=world.batch.commit_end,
        evaluation_start=world.batch.evaluation_start,
        evaluation_end=world.batch.evaluation_end,
    )
    db.session.add(batch_b)
    db.session.commit()
    for _ in range(3):
        world.commitment(CommitmentState.submitted, member=other, batch=batch_b)
    world.commitment(CommitmentState.submitted)
    auth.login(world.secretary)
    panel = _panel(client.get("/").get_data(as_text=True), "commitments.todo")
    first = panel.index("待审核的承诺")
    assert 'data-testid="count">1<' in panel[first : first + 400]


def test_member_is_told_the_next_step(client, auth, world):
    world.commitment(CommitmentState.draft, return_comment="目标要量化")
    world.commitment(CommitmentState.in_progress)
    done = world.commitment(CommitmentState.evaluated)
    auth.login(world.owner)
    panel = _panel(client.get("/").get_data(as_text=True), "commitments.mine")
    assert "被退回、需修改的承诺" in panel and "目标要量化" in panel
    assert "践诺中：添加践诺记录" in panel
    assert "评诺结果：90 分，等次“中”" in panel
    assert f'href="/commitments/{done.id}"' in panel


def test_member_with_an_open_batch_and_nothing_written_is_asked_to_write(client, auth, world):
    auth.login(world.owner)
    panel = _panel(client.get("/").get_data(as_text=True), "commitments.mine")
    assert f"填写承诺：{world.batch.title}" in panel


def test_reviewer_sees_branch_table_and_chart(client, auth, world):
    world.commitment(CommitmentState.in_progress, deadline=world.today - timedelta(days=1))
    world.commitment(CommitmentState.submitted)
    auth.login(world.users["reviewer"])
    html = client.get("/").get_data(as_text=True)
    panel = _panel(html, "commitments.branches")
    assert 'data-testid="branch-table"' in panel
    assert world.org.a.name in panel and world.org.b.name in panel
    assert "flag=overdue" in panel
    assert 'data-testid="branch-chart"' in panel and "data-chart=" in panel
    assert "vendor/echarts/echarts.min.js" in html and "js/workbench-chart.js" in html
    assert "<script>" not in html


def test_admin_sees_accounts_and_scheduler_health(client, auth, world):
    auth.login(world.users["admin"])
    html = client.get("/").get_data(as_text=True)
    accounts = _panel(html, "auth.accounts")
    assert "全部账户" in accounts and 'href="/users?locked=1"' in accounts or "locked=1" in accounts
    system = _panel(html, "core.system")
    assert "定时任务调度器尚未运行过" in system
    assert "系统设置" in system


def _grow(world, n):
    for i in range(n):
        c = world.commitment(
            [CommitmentState.submitted, CommitmentState.in_progress, CommitmentState.published][
                i % 3
            ],
            deadline=world.today - timedelta(days=i % 2),
        )
        _rating(c, n=i)
    db.session.commit()


def test_panel_queries_do_not_grow_with_the_data(app, world, query_counter):
    from partybuild.core import workbench

    users = [world.secretary, world.owner, world.users["reviewer"], world.users["admin"]]

    def counts() -> dict:
        from partybuild.core import pagecache

        pagecache.clear()  # figures cached per data version: count the queries that make them
        found = {}
        with app.test_request_context("/"):
            for user in users:
                for panel in workbench.panels():
                    if user.role not in panel.roles:
                        continue
                    with query_counter() as q:
                        panel.build(user, world.today)
                    found[(user.id, panel.key)] = q.count
        db.session.rollback()
        return found

    _grow(world, 2)
    small = counts()
    _grow(world, 12)
    assert counts() == small
