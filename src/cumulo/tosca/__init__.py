"""cumulo.tosca: a pure, thread-safe TOSCA processor.

load → types → validate → topology → functions. See docs/architecture.md for
the contract the rest of cumulo relies on.
"""

from __future__ import annotations

from cumulo.errors import ToscaError
from cumulo.tosca.import_map import default_import_map, import_map_from_env, parse_import_map
from cumulo.tosca.issues import Issue, Location, Severity
from cumulo.tosca.plan import (
    Deferred,
    GroupDef,
    NodeInstance,
    Operation,
    OutputDef,
    Plan,
    PolicyDef,
    Requirement,
)
from cumulo.tosca.processor import Processor
from cumulo.tosca.shortcuts import check, load_file, load_text, plan
from cumulo.tosca.template import Report, Template

__all__ = [
    "Deferred",
    "GroupDef",
    "Issue",
    "Location",
    "NodeInstance",
    "Operation",
    "OutputDef",
    "Plan",
    "PolicyDef",
    "Processor",
    "Report",
    "Requirement",
    "Severity",
    "Template",
    "ToscaError",
    "check",
    "default_import_map",
    "import_map_from_env",
    "load_file",
    "load_text",
    "parse_import_map",
    "plan",
]
