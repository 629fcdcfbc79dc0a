"""Profiles a document asks for by its version, loaded over the normative types.

``tosca_simple_profile_for_nfv_1_0_0`` brings the NFV profile (profiles/nfv.yaml
and its data types), as the TOSCA NFV profile says; TOSCA 1.2 and later bring the
NFV data types (profiles/nfv_datatypes.yaml), which their templates use. The
template or any of its imports may ask.
"""

from __future__ import annotations

from collections.abc import Iterable

from cumulo.tosca.documents import Document
from cumulo.tosca.import_map import PROFILES_DIR
from cumulo.tosca.imports import Resolved

NFV_VERSION = "tosca_simple_profile_for_nfv_1_0_0"
NFV_DATATYPES = PROFILES_DIR / "nfv_datatypes.yaml"
NFV = PROFILES_DIR / "nfv.yaml"


def declared_profiles(docs: Iterable[Document]) -> list[Resolved]:
    """The profile files the documents' versions call for, each once, data types first."""
    nfv = datatypes = False
    for doc in docs:
        nfv = nfv or doc.root.get("tosca_definitions_version") == NFV_VERSION
        datatypes = datatypes or nfv or doc.version >= "1.2"
    files = [NFV_DATATYPES] * datatypes + [NFV] * nfv
    return [Resolved(path, f"cumulo:{path.name}", path.parent) for path in files]
