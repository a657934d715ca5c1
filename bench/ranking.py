"""Ranking quality of one result list against graded labels: nDCG@k and recall@k.

    grades = {"17": 2, "4": 1}                  # post id -> grade; absent = 0 (not relevant)
    ndcg_at(["4", "9", "17"], grades, 10)       # 0.79...
    recall_at(["4", "9", "17"], grades, 10)     # 1.0

nDCG@k: DCG = Σ_{i=1..k} (2^g_i - 1) / log2(i + 1) over the ranking, divided by the same sum over
the best possible ranking (all labels sorted by grade). The exponential gain makes a grade-2 hit
worth three grade-1 hits, so putting the exact matches first counts.

recall@k = |relevant ∩ top k| / min(k, |relevant|): the share of what could fit in the top k
that is there (plain recall would cap a query with 500 relevant posts at 10/500, so the figure
would say more about the corpus than about the search). Relevant = grade ≥ 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranking: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """1.0 for the ideal ranking, 0.0 when nothing relevant is in the top k; NaN without labels."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return float("nan")
    return dcg([grades.get(doc, 0) for doc in _top(ranking, k)]) / ideal


def recall_at(ranking: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    relevant = {doc for doc, g in grades.items() if g > 0}
    if not relevant:
        return float("nan")
    return len(relevant.intersection(_top(ranking, k))) / min(k, len(relevant))


def _top(ranking: Sequence[str], k: int) -> list[str]:
    """The first k distinct results (a result listed twice counts once)."""
    return list(dict.fromkeys(ranking))[:k]
