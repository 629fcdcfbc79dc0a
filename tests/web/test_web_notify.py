"""'Send a confirmation e-mail when complete': the wizard's callback and the mail it sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from smtp_sink import SmtpSink
from test_web_pages import RUN_DOCKER
from web_helpers import BrowserClient, csrf_of, log_in

from cumulo.auth.testing import create_api_user
from cumulo.config import Settings
from cumulo.engine.indigo_json import deployment_json
from cumulo.engine.runtime import Engine
from cumulo.server import build_app
from cumulo.store.models import Deployment


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    s = SmtpSink()
    yield s
    s.close()


@pytest.fixture
def mail_client(tmp_path: Path, sink: SmtpSink) -> Iterator[tuple[TestClient, Engine]]:
    settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=sink.port)
    engine = Engine(settings)
    admin = create_api_user(engine.db, "admin", admin=True)
    with BrowserClient(build_app(settings, engine=engine, workers=0)) as c:
        log_in(c, admin.name, admin.password)
        c.csrf = csrf_of(c)
        yield c, engine
    engine.close()


def test_the_wizard_offers_mail_only_with_a_mail_server(client):
    assert "confirmation e-mail" not in client.get("/ui/catalogue/run-docker").text


def test_a_deployment_asking_for_mail_gets_it_at_its_final_status(mail_client, sink):
    client, engine = mail_client
    data = {**RUN_DOCKER, "notify": "true", "notify_email": "nope"}
    r = client.post("/ui/catalogue/run-docker", data=data)
    assert r.status_code == 400 and "e-mail address" in r.text
    data["notify_email"] = "alice@example.org"
    r = client.post("/ui/catalogue/run-docker", data=data, follow_redirects=False)
    dep_id = r.headers["location"].rsplit("/", 1)[1]
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert "alice" not in dep.callback  # the address travels encrypted
        dep.status = "CREATE_COMPLETE"
        callback, body = dep.callback, deployment_json(dep, "")
    # Under the admin's public URL (not the request's Host): the one callback past egress rules.
    assert callback.startswith(engine.settings.public_base_url + "/ui/notify/")
    path = callback.removeprefix(engine.settings.public_base_url)
    assert client.post(path, json=body).status_code == 204  # as the callback sender does
    (mail,) = sink.messages
    assert mail["To"] == "alice@example.org"
    assert mail["Subject"] == "cumulo: my web is CREATE_COMPLETE"
    assert f"/ui/deployments/{dep_id}" in mail.get_payload()
    # Only for the deployment whose callback it is, and only with a token of ours.
    other = {**body, "uuid": "0" * 8 + "-0000-0000-0000-" + "0" * 12}
    assert client.post(path, json=other).status_code == 404
    assert client.post("/ui/notify/forged", json=body).status_code == 404
    assert len(sink.messages) == 1
