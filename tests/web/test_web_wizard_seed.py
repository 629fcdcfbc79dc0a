"""The wizard's forms as INFN's seed has them: ports, variables, flavors, SSH keys first."""

from __future__ import annotations

from cumulo import catalogue
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.registry import save_site
from cumulo.store.models import Deployment

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOl3uBNUq0Bz0uG7pGZCjY2s0kCq0p4Vj1g9iYp9A3Zb me@host"


def stored_parameters(engine: Engine, location: str) -> dict:
    with engine.db.session() as s:
        dep = s.get(Deployment, location.rsplit("/", 1)[1])
        assert dep is not None
        return dict(dep.parameters)


def test_compose_variables_go_as_a_list_of_maps_and_port_rules_as_a_portspec_map(client, engine):
    r = client.post(
        "/ui/catalogue/docker-compose",
        data={
            "p.project_name": "shop",
            "p.docker_compose_file_content": "services:\n  web:\n    image: cumulo/httpd:1\n",
            "p.environment_variables.key": ["DB_USER", "DB_PASS", "THEME", ""],
            "p.environment_variables.value": ["ann", "s3cret", "dark", ""],
            "p.service_ports.protocol": ["tcp", "tcp"],
            "p.service_ports.port": ["8080", "9000-9001"],
            "p.service_ports.remote_cidr": ["0.0.0.0/0", ""],
            "description": "the shop",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    params = stored_parameters(engine, r.headers["location"])
    assert params["environment_variables"] == [
        {"DB_USER": "ann"},
        {"DB_PASS": "s3cret"},
        {"THEME": "dark"},
    ]
    assert params["service_ports"] == {
        "port_8080": {"protocol": "tcp", "source": 8080, "remote_cidr": "0.0.0.0/0"},
        "port_9000": {"protocol": "tcp", "source_range": [9000, 9001]},
    }


def test_the_ports_tab_and_column_labels_are_shown(client):
    html = client.get("/ui/catalogue/docker-compose").text
    assert ">Ports</button>" in html and "Add rule" in html
    assert '<div class="row head" aria-hidden="true"><span>Key</span><span>Value</span>' in html
    assert "Source (CIDR)" in html


def test_a_host_address_other_than_loopback_is_refused_at_its_field(client):
    r = client.post(
        "/ui/catalogue/run-docker",
        data={"p.docker_image": "cumulo/httpd", "p.docker_ports": ["0.0.0.0:8080:80"]},
    )
    assert r.status_code == 400
    assert 'id="e-docker_ports"' in r.text and "0.0.0.0:8080:80" in r.text


def test_a_port_out_of_range_is_refused_in_words_not_a_regex(client):
    r = client.post(
        "/ui/catalogue/run-docker",
        data={"p.docker_image": "cumulo/httpd", "p.docker_ports": ["8080:80", "99999", "80:0"]},
    )
    assert r.status_code == 400
    assert (
        "docker_ports[1]: &#34;99999&#34; is not a port mapping like 8080:80, 80 or "
        "127.0.0.1:8080:80 (ports 1-65535)" in r.text
    )
    assert "[0-9]" not in r.text.split('id="e-docker_ports"', 1)[1][:400]


def test_the_api_and_cli_get_the_same_words_from_the_template(engine):
    # What POST /deployments and `cumulo deploy` check: the template itself, no form.
    template = engine.processor.load_file(catalogue.find("run-docker"))
    params = {"docker_image": "cumulo/httpd", "docker_ports": ["80", "65536:80"]}
    errors = engine.processor.check(template, params).errors
    assert [(e.path, e.message) for e in errors] == [
        (
            "inputs.docker_ports.1",
            'input docker_ports[1]: "65536:80" is not a port mapping like 8080:80, 80 or '
            "127.0.0.1:8080:80 (ports 1-65535)",
        )
    ]
    ok = ["8080:80", "80", "127.0.0.1:8080:80", "127.0.0.1::80", "53/udp", "65535"]
    assert not engine.processor.check(template, {**params, "docker_ports": ok}).errors


def test_the_description_comes_before_the_tabs(client):
    html = client.get("/ui/catalogue/vm").text
    assert html.index('id="f-description"') < html.index('role="tablist"')


def test_without_a_key_the_form_links_to_the_keys_page_and_with_keys_the_newest_is_chosen(
    client,
):
    assert 'href="/ui/keys"' in client.get("/ui/catalogue/vm").text
    for data in ({"name": "old", "generate": "true"}, {"name": "new", "public_key": KEY}):
        r = client.post("/ui/keys", data=data, follow_redirects=False)
        assert r.status_code == 303, r.text
    html = client.get("/ui/catalogue/vm").text
    assert f"{KEY}</textarea>" in html
    assert f'<option value="{KEY}" selected>new</option>' in html


def test_flavors_of_the_sites_replace_cpu_and_memory_fields(client, engine):
    save_site(
        engine,
        SiteDef(
            name="flavored",
            endpoint="unix:///nowhere.sock",
            public=True,
            flavors=[
                {"name": "small", "vcpus": 1, "ram": "1 GB"},
                {"name": "medium", "vcpus": 2, "ram": "4 GB"},
            ],
        ),
    )
    html = client.get("/ui/catalogue/vm").text
    assert "medium: 2 vCPUs, 4 GB RAM" in html and "small: 1 vCPU, 1 GB RAM" in html
    assert 'id="f-num_cpus"' not in html and 'id="f-mem_size"' not in html
    r = client.post(
        "/ui/catalogue/vm",
        data={"p.ssh_public_key": KEY, "flavor": "medium"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    params = stored_parameters(engine, r.headers["location"])
    assert params["num_cpus"] == 2 and params["mem_size"] == "4000 MB"
    r = client.post("/ui/catalogue/vm", data={"p.ssh_public_key": KEY, "flavor": "huge"})
    assert r.status_code == 400 and "Choose one of the listed flavors" in r.text


def test_a_catalogue_advanced_tab_holds_its_fields_and_the_options_once(client):
    html = client.get("/ui/catalogue/docker-compose").text
    assert html.count(">Advanced</button>") == 1
    advanced = html[html.index('data-tab="Advanced"') :]
    assert 'id="f-ssh_public_key"' in advanced and 'id="f-keep_last_attempt"' in advanced
