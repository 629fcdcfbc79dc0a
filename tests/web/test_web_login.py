"""Dashboard login: session cookie flags, CSRF on forms, throttled and audited failures, logout."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_helpers import csrf_of, log_in

from cumulo.auth.accounts import set_password
from cumulo.auth.testing import ApiUser
from cumulo.engine.runtime import Engine
from cumulo.secrets import Purpose
from cumulo.server import build_app
from cumulo.store.account_models import AuditEvent, WebSession


def _app_client(engine: Engine) -> TestClient:
    return TestClient(build_app(engine.settings, engine=engine, workers=0))


def _login_form(c: TestClient, name: str, password: str) -> object:
    csrf = csrf_of(c, "/ui/login")
    data = {"username": name, "password": password, "csrf": csrf}
    return c.post("/ui/login", data=data, follow_redirects=False)


def test_anonymous_pages_lead_to_the_login_form(engine: Engine) -> None:
    with _app_client(engine) as c:
        r = c.get("/ui/catalogue", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/ui/login?next=/ui/catalogue"
        assert 'name="password"' in c.get(r.headers["location"]).text


def test_login_sets_a_protected_cookie_and_logout_ends_it(
    engine: Engine, admin_user: ApiUser
) -> None:
    with _app_client(engine) as c:
        r = _login_form(c, "admin", admin_user.password)
        assert r.status_code == 303 and r.headers["location"] == "/ui/catalogue"
        cookie = next(h for h in r.headers.get_list("set-cookie") if "cumulo_session=" in h)
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert admin_user.password not in cookie
        assert c.get("/ui/catalogue").status_code == 200
        # A form without its CSRF token is refused, the session stays.
        assert c.post("/ui/logout", data={}).status_code == 403
        stolen = c.cookies.get("cumulo_session")
        r = c.post("/ui/logout", data={"csrf": csrf_of(c)}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/ui/catalogue", follow_redirects=False).status_code == 303
        # Logout is real: a copy of the old cookie is no session either.
        c.cookies.set("cumulo_session", stolen)
        assert c.get("/ui/catalogue", follow_redirects=False).status_code == 303
    with engine.db.session() as s:
        assert s.query(WebSession).count() == 0


def test_a_new_password_ends_every_session(engine: Engine, admin_user: ApiUser) -> None:
    with _app_client(engine) as laptop, _app_client(engine) as phone:
        log_in(laptop, "admin", admin_user.password)
        log_in(phone, "admin", admin_user.password)
        assert phone.get("/ui/catalogue", follow_redirects=False).status_code == 200
        with engine.db.session() as s:
            set_password(s, "admin", "a brand new password")
        for c in (laptop, phone):
            assert c.get("/ui/catalogue", follow_redirects=False).status_code == 303


def test_a_forged_session_cookie_is_no_session(engine: Engine) -> None:
    with _app_client(engine) as c:
        c.cookies.set("cumulo_session", "enc1:gAAAAABforged")
        assert c.get("/ui/catalogue", follow_redirects=False).status_code == 303
        # Sealed by cumulo, but for another purpose: not a session.
        c.cookies.set("cumulo_session", engine.secrets.seal('{"sid": "x"}', Purpose.NOTIFY_LINK))
        assert c.get("/ui/catalogue", follow_redirects=False).status_code == 303


def test_login_needs_the_forms_csrf_token(engine: Engine, admin_user: ApiUser) -> None:
    with _app_client(engine) as c:
        c.get("/ui/login")
        r = c.post("/ui/login", data={"username": "admin", "password": admin_user.password})
        assert r.status_code == 403


def test_failed_logins_are_audited_then_slowed_down(engine: Engine, admin_user: ApiUser) -> None:
    with _app_client(engine) as c:
        for _ in range(5):
            r = _login_form(c, "admin", "wrong password")
            assert r.status_code == 401 and "Wrong user name or password" in r.text
        r = _login_form(c, "admin", admin_user.password)  # even the right one must wait
        assert r.status_code == 429 and "try again in" in r.text
    with engine.db.session() as s:
        actions = [e.action for e in s.query(AuditEvent).filter(AuditEvent.actor == "admin")]
    assert actions.count("login-failed") == 5
    with _app_client(engine) as fresh:  # a new process forgets the throttle; a login is audited
        log_in(fresh, "admin", admin_user.password)
    with engine.db.session() as s:
        assert s.query(AuditEvent).filter(AuditEvent.action == "login").count() == 1
