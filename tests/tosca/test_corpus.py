"""The real INDIGO corpus: everything tosca-parser 2.15.0 accepts, we accept;
what we reject, we reject with a located error; accepted ones plan."""

from __future__ import annotations

import pytest
from corpus import CORPUS_DIR, available, import_map, templates, verdicts

from cumulo.errors import ToscaError
from cumulo.tosca import Processor

pytestmark = pytest.mark.skipif(not available(), reason="INDIGO corpus not on this machine")


@pytest.fixture(scope="module")
def processor() -> Processor:
    return Processor(import_map=import_map())


def _errors(proc: Processor, path):
    try:
        return proc.check(proc.load_file(path)).errors
    except ToscaError as exc:
        return [i for i in exc.issues if i.is_error]


def test_corpus_is_complete() -> None:
    assert len(templates()) == 106
    assert sum(1 for v, _ in verdicts().values() if v == "accepted") == 63


def test_every_template_tosca_parser_accepts_is_accepted(processor: Processor) -> None:
    wrongly = {}
    for rel, (verdict, _) in verdicts().items():
        if verdict == "accepted":
            errors = _errors(processor, CORPUS_DIR / rel)
            if errors:
                wrongly[rel] = [str(e) for e in errors]
    assert wrongly == {}


def test_every_rejection_is_located(processor: Processor) -> None:
    rejected = 0
    for path in templates():
        errors = _errors(processor, path)
        rejected += bool(errors)
        for e in errors:
            assert e.location is not None and e.location.line >= 1, str(e)
            assert e.location.file.endswith((".yaml", ".yml")), str(e)
    # tosca-parser rejects 43, many for its own limits; we reject only real errors
    assert 0 < rejected < 43


def test_known_real_errors_are_found(processor: Processor) -> None:
    errors = _errors(processor, CORPUS_DIR / "tosca-templates/simple-node.yml")
    assert {e.code for e in errors} == {"unknown-property"}
    assert {e.location.line for e in errors} == {65, 66}
    errors = _errors(processor, CORPUS_DIR / "tosca-templates/dodas/CMS-XCache-k8s.yaml")
    assert any(e.code == "unknown-type" and "XCache" in e.message for e in errors)


def test_accepted_templates_plan_with_their_defaults(processor: Processor) -> None:
    planned = 0
    for rel, (verdict, _) in verdicts().items():
        if verdict != "accepted":
            continue
        tpl = processor.load_file(CORPUS_DIR / rel)
        try:
            plan = processor.plan(tpl)
        except ToscaError as exc:
            # only inputs without a default may be missing
            assert {i.code for i in exc.issues if i.is_error} == {"missing-input"}, rel
            continue
        planned += 1
        assert plan.instances or not tpl.topology.get("node_templates")
        plan.evaluate_outputs(lambda node, index: {"public_address": ["10.0.0.1"]})
    assert planned >= 40
