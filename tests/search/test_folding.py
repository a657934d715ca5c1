"""Folding is the one place where index time and query time must agree exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from socialapp.read.search.folding import HL_CLOSE, HL_OPEN, fold, fold_with_offsets


@given(st.text(max_size=200))
def test_fold_equals_the_offset_walk_on_any_text(text: str) -> None:
    folded, origin = fold_with_offsets(text)
    assert fold(text) == folded  # the ASCII fast path and the per-character path agree
    assert len(origin) == len(folded)
    assert HL_OPEN not in folded and HL_CLOSE not in folded


def test_case_and_accents_fold_away() -> None:
    assert fold("Crème Brûlée at the CAFÉ") == "creme brulee at the cafe"
    assert fold("Straße") == "strasse"
    assert fold(f"a{HL_OPEN}b{HL_CLOSE}") == "a b "
