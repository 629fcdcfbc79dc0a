"""The deployment wizard: scheduling, the generated form, the Advanced tab, submit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.catalogue.entries import Entry
from cumulo.catalogue.library import catalogue_for
from cumulo.catalogue.visibility import access
from cumulo.engine.requests.deployments import NewDeployment, create_deployment
from cumulo.engine.runtime import Engine
from cumulo.errors import BadRequest, Forbidden, NotFound, ToscaError
from cumulo.tosca.forms import form_schema
from cumulo.web.field_values import EMAIL_RE
from cumulo.web.flavor_field import FLAVOR_INPUTS, apply_flavor, flavor_errors, flavor_tab
from cumulo.web.form_values import (
    TABLE_WIDGETS,
    display_values,
    merge_tosca_errors,
    parse_form,
    table_columns,
)
from cumulo.web.notify import notify_url
from cumulo.web.render import active_group, page
from cumulo.web.routes.keys import user_keys
from cumulo.web.session import checked_form, web_user
from cumulo.web.site_choices import flavors_for, images_for, offer_site_images, sites_for

router = APIRouter()
ADVANCED_TAB = "Advanced"


@dataclass
class Advanced:
    """The Advanced tab: what the deployment request carries beside the parameters."""

    description: str = ""
    timeout_mins: int | None = None
    provider_timeout_mins: int | None = None
    keep_last_attempt: bool = False
    notify_email: str = ""  # "e-mail me when complete", to this address
    errors: dict[str, str] = field(default_factory=dict)


def _minutes(text: str, name: str, errors: dict[str, str]) -> int | None:
    if not text.strip():
        return None
    try:
        value = int(text)
    except ValueError:
        errors[name] = "Enter a whole number of minutes"
        return None
    if not 1 <= value <= 100_000:
        errors[name] = "Between 1 and 100000 minutes"
        return None
    return value


def parse_advanced(form: Any) -> Advanced:
    adv = Advanced(description=str(form.get("description") or "").strip()[:1000])
    adv.timeout_mins = _minutes(str(form.get("timeout_mins") or ""), "timeout_mins", adv.errors)
    adv.provider_timeout_mins = _minutes(
        str(form.get("provider_timeout_mins") or ""), "provider_timeout_mins", adv.errors
    )
    adv.keep_last_attempt = form.get("keep_last_attempt") == "true"
    if form.get("notify") == "true":
        adv.notify_email = str(form.get("notify_email") or "").strip()
        if not EMAIL_RE.match(adv.notify_email):
            adv.errors["notify_email"] = "Enter the e-mail address to notify"
    return adv


@dataclass
class Scheduling:
    """Auto, or Manual on a chosen site."""

    manual: bool = False
    site: str | None = None
    error: str | None = None


def parse_scheduling(form: Any) -> Scheduling:
    if form.get("scheduling") != "manual":
        return Scheduling()
    site = str(form.get("site") or "").strip()
    if not site:
        return Scheduling(manual=True, error="Choose a site, or let cumulo choose (Auto)")
    return Scheduling(manual=True, site=site)


def _entry(engine: Engine, name: str, group: str | None) -> Entry:
    entry = catalogue_for(engine).snapshot().get(name)
    if entry is None or entry.template is None or access(entry.metadata, group) == "hidden":
        raise NotFound(f"there is no service {name!r} in the catalogue")
    if access(entry.metadata, group) == "locked":
        raise Forbidden(f"the service {entry.display_name!r} is locked for group {group}")
    return entry


def _schema(engine: Engine, entry: Entry, group: str | None) -> dict[str, Any]:
    if entry.template is None:  # not offered (see _entry); never a form of a broken one
        raise NotFound(f"there is no service {entry.name!r} in the catalogue")
    schema = form_schema(entry.template, entry.metadata, group=group)
    offer_site_images(schema["inputs"], images_for(engine, group))
    return schema


def _render(
    request: Request,
    engine: Engine,
    user: Identity,
    entry: Entry,
    schema: dict[str, Any],
    *,
    raw: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    advanced: Advanced | None = None,
    scheduling: Scheduling | None = None,
    flavor: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    fields = schema["inputs"]
    group = active_group(request, user)
    sites = sites_for(engine, group)
    flavors = flavors_for(engine, group)
    tab_of_flavor = flavor_tab(fields, flavors)
    errors = flavor_errors(errors or {}) if tab_of_flavor else errors or {}
    # A catalogue that names its own "Advanced" tab gets the options added to it, not a twin.
    tabs = [*schema["tabs"], *([] if ADVANCED_TAB in schema["tabs"] else [ADVANCED_TAB])]
    tab_errors = {f["tab"] for f in fields if f["name"] in errors}
    keys = user_keys(engine, user)
    values = display_values(fields, raw)
    if raw is None and keys:  # the newest key, as the user most likely wants
        for f in fields:
            if f["widget"] == "ssh_key" and not values.get(f["name"]):
                values[f["name"]] = keys[-1]["public_key"]
    if advanced and advanced.errors:
        tab_errors.add(ADVANCED_TAB)
    return page(
        request,
        "wizard.html",
        {
            "entry": entry,
            "schema": schema,
            "tabs": tabs,
            "tab_errors": tab_errors,
            "fields": fields,
            "values": values,
            "columns": {
                f["name"]: table_columns(f) for f in fields if f["widget"] in TABLE_WIDGETS
            },
            "errors": errors,
            "general": general or [],
            "advanced": advanced or Advanced(),
            "sites": sites,
            "settings": engine.settings,
            "keys": keys,
            "scheduling": scheduling or Scheduling(),
            "flavors": flavors if tab_of_flavor else [],
            "flavor_tab": tab_of_flavor,
            "flavor_inputs": FLAVOR_INPUTS if tab_of_flavor else (),
            "flavor": flavor,
        },
        status_code=status_code,
        user=user,
    )


@router.get("/catalogue/{name}", response_class=HTMLResponse)
def wizard(
    name: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    user: Identity = Depends(web_user),
) -> HTMLResponse:
    group = active_group(request, user)
    entry = _entry(engine, name, group)
    return _render(request, engine, user, entry, _schema(engine, entry, group))


@router.post("/catalogue/{name}", response_class=HTMLResponse)
async def submit(
    name: str,
    request: Request,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(web_user),
    form: FormData = Depends(checked_form),
) -> Response:
    group = active_group(request, caller)
    entry = _entry(engine, name, group)
    schema = await run_in_threadpool(_schema, engine, entry, group)
    parsed = parse_form(form, schema["inputs"])
    flavors = flavors_for(engine, group)
    flavor = ""
    if flavor_tab(schema["inputs"], flavors):
        flavor = apply_flavor(form, parsed.parameters, parsed.errors, flavors)
    advanced = parse_advanced(form)
    scheduling = parse_scheduling(form)
    if parsed.errors or advanced.errors or scheduling.error:
        return _render(
            request, engine, caller, entry, schema, raw=parsed.raw, errors=parsed.errors,
            advanced=advanced, scheduling=scheduling, flavor=flavor, status_code=400,
        )  # fmt: skip
    new = NewDeployment(
        template=entry.text,
        parameters=parsed.parameters,
        timeout_mins=advanced.timeout_mins,
        provider_timeout_mins=advanced.provider_timeout_mins,
        keep_last_attempt=advanced.keep_last_attempt,
        user_group=group,
        description=advanced.description or entry.display_name,
        site=scheduling.site,
        callback=notify_url(engine, advanced.notify_email)
        if advanced.notify_email and engine.settings.smtp_host
        else None,
    )
    try:
        dep = await run_in_threadpool(create_deployment, engine, new, caller)
    except ToscaError as exc:
        by_field, general = merge_tosca_errors(exc.issues, schema["inputs"])
        return _render(
            request, engine, caller, entry, schema, raw=parsed.raw, errors=by_field,
            general=general, advanced=advanced, scheduling=scheduling, flavor=flavor,
            status_code=400,
        )  # fmt: skip
    except BadRequest as exc:  # an unusable manual choice: "placement: <reason>"
        scheduling.error = exc.message.removeprefix("placement: ")
        return _render(
            request, engine, caller, entry, schema, raw=parsed.raw, advanced=advanced,
            scheduling=scheduling, flavor=flavor, status_code=400,
        )  # fmt: skip
    return RedirectResponse(f"/ui/deployments/{dep.id}", status_code=303)
