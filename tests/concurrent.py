"""Requests sent at the same moment from several clients logged in as one user."""

import threading
from typing import Any


def post_at_once(app: Any, user: Any, url: str, data: dict, n: int = 2) -> list[str]:
    """POST ``data`` to ``url`` from ``n`` clients at once; returns the page each was
    redirected to (with its flash message). Fails on any exception or non-redirect."""
    clients = []
    for _ in range(n):
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        clients.append(c)
    start = threading.Barrier(n)
    pages: list[str] = []
    errors: list[BaseException] = []

    def post(c: Any) -> None:
        try:
            start.wait(10)
            with app.app_context():  # each thread is its own request, with its own session
                r = c.post(url, data=data)
                assert r.status_code == 302, r.status_code
                pages.append(c.get(r.headers["Location"]).get_data(as_text=True))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return pages
