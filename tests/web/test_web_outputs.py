"""Structured outputs read as labelled fields, and node types as words."""

from __future__ import annotations

from test_web_pages import store

from cumulo.web.details import describe_outputs
from cumulo.web.words import type_word


def test_node_creds_and_maps_are_fields_not_json():
    shown = describe_outputs(
        {
            "node_creds": [{"user": "cloudadm", "token_type": "private_key"}],
            "endpoints": {"8080": "http://127.0.0.1:32768"},
            "node_ip": ["127.0.0.1", "127.0.0.2"],
        }
    )
    rows = {s.label: s.text for s in shown}
    assert rows["Node creds: user"] == "cloudadm"
    assert rows["Node creds: token type"] == "private_key"
    assert rows["Node ip 1"] == "127.0.0.1" and rows["Node ip 2"] == "127.0.0.2"
    (endpoint,) = [s for s in shown if s.label == "Endpoints: 8080"]
    assert endpoint.url == "http://127.0.0.1:32768"
    assert not any(s.text.startswith(("{", "[")) for s in shown)


def test_type_words():
    assert type_word("tosca.nodes.indigo.Compute") == "Virtual machine"
    assert type_word("tosca.nodes.indigo.Container.Application.Docker") == "Docker container"
    assert type_word("tosca.nodes.BlockStorage") == "Block storage"
    assert type_word("tosca.nodes.indigo.JupyterHub") == "Jupyter hub"


def test_the_details_page_shows_words_and_fields(client, engine):
    dep_id = store(engine, outputs={"node_creds": {"user": "cloudadm"}})
    page = client.get(f"/ui/deployments/{dep_id}").text
    assert "Node creds: user" in page and "{" not in page[page.index('id="outputs"') :][:400]
