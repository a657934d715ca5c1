"""Which docstrings describe operations in the OpenAPI document: a view's own, never a view base's.

drf-spectacular describes an operation by the first docstring in its view's MRO, up to the
classes SPECTACULAR_SETTINGS["GET_LIB_DOC_EXCLUDES"] names (`doc_excludes`). Our view bases
(CommandView, QueryView, ScopeCheckedView) have docstrings for developers ("In a handler, set
`self.aggregate` ..."), which every view without a docstring of its own inherited as its
operations' description, and generated clients copied into their functions' comments. Its own
module, free of drf-spectacular imports: ScopeCheckedView's module is loaded by DRF's settings,
which drf-spectacular's generator imports.
"""

from __future__ import annotations

from typing import TypeVar

_VIEW_BASES: list[type] = []
V = TypeVar("V", bound=type)


def view_base(cls: V) -> V:
    """Class decorator for a base of API views: its docstring describes no operation."""
    _VIEW_BASES.append(cls)
    return cls


def doc_excludes() -> list[type]:
    """GET_LIB_DOC_EXCLUDES: drf-spectacular's own list (DRF's views) plus our view bases."""
    from drf_spectacular.plumbing import get_lib_doc_excludes  # schema generation time only

    return [*get_lib_doc_excludes(), *_VIEW_BASES]
