def test_login_page_renders_in_chinese(client):
    resp = client.get("/auth/login")
    assert resp.status_code == 200
    assert "登录" in resp.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/org/members")
    assert resp.status_code == 302
    assert "/auth/login" in resp.headers["Location"]


def test_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    response.close()
