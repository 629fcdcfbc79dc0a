"""The plan: what the engine deploys, after inputs, count expansion and functions.

Everything here is plain data, except ``Plan.evaluate_outputs`` and
``Plan.evaluate``, which finish the functions that needed runtime attributes
(``Deferred``) once the engine knows them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cumulo.tosca.input_roles import Role
from cumulo.tosca.issues import Issue

if TYPE_CHECKING:
    from cumulo.tosca.functions import Evaluator

AttributesFn = Callable[[str, int], Mapping[str, Any]]


def own_copy(value: Any) -> Any:
    """A plan's own copy of a template value (plain dicts and lists): the parsed
    documents are cached and shared, so a plan never hands them out."""
    if isinstance(value, dict):
        return {k: own_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [own_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class Deferred:
    """A function call that needs runtime attributes; evaluated by ``Plan.evaluate``."""

    expr: Any  # the call as written, e.g. {"get_attribute": ["server", "public_address", 0]}
    node: str | None = None  # the instance SELF means, if any
    index: int | None = None

    def __repr__(self) -> str:
        return f"Deferred({self.expr!r})"


@dataclass
class Operation:
    implementation: str | None  # the primary artifact (a playbook path or URL)
    inputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    timeout: Any = None


@dataclass
class Requirement:
    name: str
    node: str  # the target node template
    capability: str | None  # the target's capability name (or type when not resolved)
    relationship: str | None  # the relationship type
    properties: dict[str, Any] = field(default_factory=dict)
    interfaces: dict[str, dict[str, Operation]] = field(default_factory=dict)


@dataclass
class NodeInstance:
    node: str
    index: int
    type: str
    types: tuple[str, ...]  # the type and its ancestors, most derived first
    properties: dict[str, Any] = field(default_factory=dict)
    capabilities: dict[str, dict[str, Any]] = field(default_factory=dict)
    requirements: list[Requirement] = field(default_factory=list)
    host: str | None = None
    interfaces: dict[str, dict[str, Operation]] = field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)  # values given in the template
    count: int = 1  # instances of this node template

    def is_a(self, type_name: str) -> bool:
        return type_name in self.types

    @property
    def key(self) -> tuple[str, int]:
        return (self.node, self.index)


@dataclass
class OutputDef:
    name: str
    value: Any
    description: str | None = None


@dataclass
class PolicyDef:
    name: str
    type: str
    properties: dict[str, Any] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    types: tuple[str, ...] = ()


@dataclass
class GroupDef:
    name: str
    type: str
    members: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    inputs: dict[str, Any]
    instances: list[NodeInstance]
    outputs: dict[str, OutputDef]
    policies: list[PolicyDef] = field(default_factory=list)
    groups: list[GroupDef] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # node templates, dependencies first
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    # What each declared input is for (a secret, an SSH key): cumulo.tosca.input_roles.
    roles: dict[str, frozenset[Role]] = field(default_factory=dict)
    _evaluator: Evaluator | None = field(default=None, repr=False, compare=False)

    def instances_of(self, node: str) -> list[NodeInstance]:
        return [i for i in self.instances if i.node == node]

    def hosting_chain(self, node: str) -> list[str]:
        """``node``, what it is hosted on, and so on down to a Compute (or whatever
        hosts nothing further): ``["app", "web", "server"]``."""
        hosts = {i.node: i.host for i in self.instances}
        chain = [node]
        while hosts.get(chain[-1]) and hosts[chain[-1]] not in chain:
            chain.append(hosts[chain[-1]])  # type: ignore[arg-type]
        return chain

    def evaluate_outputs(self, attributes: AttributesFn) -> dict[str, Any]:
        """Every output's value; runtime values not known yet are None."""
        return {
            name: self.evaluate(out.value, None, attributes) for name, out in self.outputs.items()
        }

    def evaluate(self, expr: Any, instance: NodeInstance | None, attributes: AttributesFn) -> Any:
        """Evaluate any expression (a Deferred, an operation input, an output)."""
        if self._evaluator is None:
            return expr
        return self._evaluator.final(expr, instance, attributes)
