"""NUL bytes are refused at input with a clear 400, never a 500 (issue 12 §5.4)."""

from __future__ import annotations


def test_nul_in_login_search_and_forms(client, world):
    assert client.post("/login", data={"email": "a\x00@x.test", "password": "x"}).status_code == 400
    client.login(world.a.staff.email)
    assert client.get("/clients?q=a%00b").status_code == 400
    account = world.a.account.id
    response = client.post(
        f"/clients/{account}/folders", data={"name": "Tax\x00es", "access": "view"}
    )
    assert response.status_code == 400
    response = client.post(f"/clients/{account}/chats", data={"subject": "Hi\x00", "body": "Hello"})
    assert response.status_code == 400
    assert client.get("/clients?q=ok").status_code == 200
