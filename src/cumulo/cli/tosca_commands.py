"""``cumulo validate`` and ``cumulo inputs``: the TOSCA processor on the command line.

Exit status of validate: 0 valid, 1 invalid, 2 usage error (bad options,
unreadable parameters, a bad import map entry).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cumulo.errors import ToscaError

if TYPE_CHECKING:  # the processor is imported when a command runs (CLI start-up time)
    from cumulo.tosca import Processor

TEMPLATE = Annotated[Path, typer.Argument(help="The TOSCA template file.")]
IMPORT_MAP = Annotated[
    list[str] | None,
    typer.Option(
        "--import-map",
        help="URL_PREFIX=DIR: serve imports under URL_PREFIX from DIR (repeatable; "
        "adds to CUMULO_IMPORT_MAP).",
    ),
]
JSON = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ROOT = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Relative imports may reach any file under this folder (default: the "
        "template's git checkout, else the current folder when it holds the template, "
        "else the template's folder).",
    ),
]


def import_root(template: Path, root: Path | None) -> Path:
    """Where a template on disk may import from: in a repository of templates,
    ``../types/x.yaml`` is normal. (The server confines to the template's folder.)"""
    if root is not None:
        return root
    folder = template.resolve().parent
    for parent in (folder, *folder.parents):
        if (parent / ".git").exists():
            return parent
    cwd = Path.cwd().resolve()
    return cwd if folder == cwd or cwd in folder.parents else folder


def _usage(message: str) -> typer.Exit:
    typer.echo(f"usage error: {message}", err=True)
    return typer.Exit(2)


def _processor(import_map: list[str] | None, root: Path) -> Processor:
    from cumulo.tosca import Processor
    from cumulo.tosca.import_map import import_map_from_env, parse_import_map

    try:
        mapping = import_map_from_env()
        for entry in import_map or []:
            mapping.update(parse_import_map(entry))
    except ValueError as exc:
        raise _usage(str(exc)) from None
    return Processor(import_map=mapping, allowed_roots=[root])


def _params(items: list[str] | None, params_file: Path | None) -> dict[str, Any]:
    from cumulo.cli.client.api import ClientError
    from cumulo.cli.client.request import build_params

    try:
        return build_params(list(items or []), str(params_file) if params_file else None)
    except ClientError as exc:
        raise _usage(exc.message) from None


def _in_order(issues: list, template: str) -> list:
    """As a compiler lists them: parameters, then the template by line, then imports."""

    def key(issue: Any) -> tuple:
        loc = issue.location
        if loc is None:
            return (0, "", 0, 0)
        return (1 if loc.file == template else 2, loc.file, loc.line, loc.column)

    return sorted(issues, key=key)


def _required(tpl: Any, name: str) -> bool:
    spec = tpl.inputs.get(name)
    return (
        isinstance(spec, dict) and spec.get("required", True) is not False and "default" not in spec
    )


def validate(
    template: TEMPLATE,
    param: Annotated[
        list[str] | None,
        typer.Option("-p", "--param", help="KEY=VALUE input parameter (repeatable)."),
    ] = None,
    params: Annotated[
        Path | None, typer.Option("--params", help="A JSON file of input parameters.")
    ] = None,
    import_map: IMPORT_MAP = None,
    root: ROOT = None,
    as_json: JSON = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also show warnings about imported files.")
    ] = False,
) -> None:
    """Validate a TOSCA template (and parameters) and summarise its plan."""
    from cumulo.cli.tosca_render import render_issue, render_summary, source_reader, summary

    if not template.is_file():
        raise _usage(f"{template}: no such file")
    proc = _processor(import_map, import_root(template, root))
    values = _params(param, params)
    plan, issues = None, []
    try:
        tpl = proc.load_file(template)
        # without any parameter, a preview: required inputs are listed, not demanded
        plan = proc.plan(tpl, values, require_inputs=bool(param or params))
        issues = plan.warnings
    except ToscaError as exc:
        issues = exc.issues
    errors = [i for i in issues if i.is_error]
    warnings = [i for i in issues if not i.is_error]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": not errors,
                    "errors": [i.as_dict() for i in errors],
                    "warnings": [i.as_dict() for i in warnings],
                    "summary": summary(plan) if plan and not errors else None,
                },
                indent=2,
                default=str,
            )
        )
    else:
        lines = source_reader(proc.import_map)
        # warnings about imported type libraries are not the template author's to fix
        mine = str(template)
        shown = [w for w in warnings if verbose or not w.location or w.location.file == mine]
        for issue in [*_in_order(errors, mine), *_in_order(shown, mine)]:
            typer.echo(render_issue(issue, lines), err=bool(errors))
        if len(shown) < len(warnings):
            typer.echo(
                f"{len(warnings) - len(shown)} warning(s) in imported files (-v shows them)",
                err=bool(errors),
            )
        if any(i.code == "import-outside-roots" for i in errors):
            typer.echo("note: --root DIR lets relative imports reach files under DIR", err=True)
        if errors:
            typer.echo(
                f"{template}: invalid: {len(errors)} error(s), {len(warnings)} warning(s)", err=True
            )
        elif plan is not None:
            typer.echo(render_summary(plan))
            missing = [n for n, v in plan.inputs.items() if v is None and _required(tpl, n)]
            if missing:
                typer.echo(f"required inputs not given (pass -p NAME=VALUE): {', '.join(missing)}")
            typer.echo(f"{template}: valid ({len(warnings)} warning(s))")
    raise typer.Exit(1 if errors else 0)


def inputs(
    template: TEMPLATE, import_map: IMPORT_MAP = None, root: ROOT = None, as_json: JSON = False
) -> None:
    """Print the form schema of a template's inputs."""
    from cumulo.cli.tosca_render import render_issue, source_reader
    from cumulo.tosca.forms import form_schema

    if not template.is_file():
        raise _usage(f"{template}: no such file")
    proc = _processor(import_map, import_root(template, root))
    try:
        tpl = proc.load_file(template)
    except ToscaError as exc:
        lines = source_reader(proc.import_map)
        for issue in exc.issues:
            typer.echo(render_issue(issue, lines), err=True)
        raise typer.Exit(1) from None
    schema = form_schema(tpl, overlay=None)
    if as_json:
        typer.echo(json.dumps(schema, indent=2, default=str))
        raise typer.Exit(0)
    for field in schema.get("inputs", []):
        bits = [f"{field.get('name')}: {field.get('widget')}"]
        if field.get("required"):
            bits.append("required")
        if field.get("default") is not None:
            bits.append(f"default={field['default']!r}")
        if field.get("choices"):
            choices = [c.get("value", c) if isinstance(c, dict) else c for c in field["choices"]]
            bits.append(f"choices={choices}")
        typer.echo("  ".join(bits))
    for warning in schema.get("warnings", []):
        typer.echo(f"warning: {warning}", err=True)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("inputs")(inputs)
