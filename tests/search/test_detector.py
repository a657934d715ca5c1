"""Language detection in the detector process answers exactly as in the worker's process, a dead
detector process costs nothing but a fallback, and the batch preparation of a flush builds the
same text fields as one document at a time (no Elasticsearch, no database)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
import Stemmer

from socialapp.read.search import detector, documents, language
from socialapp.read.search.folding import fold

TEXTS = [
    "The children were running with their dogs and jumping over the fences in the gardens",
    "Die Kinder spielten gestern mit ihren Hunden im Garten und sprangen über die Zäune",
    "Les enfants couraient avec leurs chiens et sautaient par-dessus les clôtures du jardin",
    "Los niños corrían con sus perros y saltaban las vallas de los jardines ayer por la tarde",
    "I bambini correvano con i loro cani e saltavano le recinzioni nei giardini",
    "As crianças corriam com os seus cães e saltavam as cercas nos jardins",
    "De kinderen renden met hun honden en sprongen over de hekken in de tuinen",
    "Barnen sprang med sina hundar och hoppade över staketen i trädgårdarna",
    "Børnene løb med deres hunde og sprang over hegnene i haverne",
    "Barna løp med hundene sine og hoppet over gjerdene i hagene",
    "Lapset juoksivat koiriensa kanssa ja hyppivät aitojen yli puutarhoissa",
    "Дети бегали со своими собаками и прыгали через заборы в садах",  # noqa: RUF001 - Russian
    "coffee",
    "ok",
    "",
    "1234 5678 !!!",
    "crème brûlée café straße über naïve façade jalapeño smörgåsbord déjà vu",
    "guitar bread smörgåsbord river city guitar déjà music café garden mountain",
]


@pytest.fixture
def fresh_detector() -> Iterator[None]:
    detector.shutdown()
    yield
    detector.shutdown()


def _in_process(texts: list[str]) -> list[str | None]:
    return language.detect_codes(texts, tuple(language.configured_languages()), 0.5)


def test_the_detector_process_answers_as_lingua_in_the_workers_process(settings, fresh_detector) -> None:
    settings.SEARCH_DETECT_PROCESS = True
    settings.SEARCH_LANGUAGE_MIN_CONFIDENCE = 0.5
    texts = TEXTS * 2  # over DETECTOR_PROCESS_MIN: the process answers
    assert len(texts) >= language.DETECTOR_PROCESS_MIN
    expected = _in_process(texts)
    assert {"en", "de", "fr", "es", "ru", None} <= set(expected)  # the texts exercise the detector
    assert language.detect_many(texts) == expected
    assert detector._process is not None and detector._process.poll() is None  # it was the process
    assert [language.detect(text) for text in texts] == expected


def test_a_dead_detector_process_is_replaced(settings, fresh_detector) -> None:
    settings.SEARCH_DETECT_PROCESS = True
    texts = TEXTS * 2
    expected = _in_process(texts)
    assert language.detect_many(texts) == expected
    first = detector._process
    assert first is not None
    first.kill()
    first.wait()
    assert language.detect_many(texts) == expected
    assert detector._process is not None and detector._process.pid != first.pid


def test_a_detector_process_that_does_not_answer_leaves_detection_to_the_workers_process(
    settings, fresh_detector, monkeypatch
) -> None:
    settings.SEARCH_DETECT_PROCESS = True
    texts = TEXTS * 2
    expected = _in_process(texts)
    monkeypatch.setattr(detector, "_command", lambda codes: [sys.executable, "-c", "import sys; sys.stdin.readline()"])
    assert detector.detect(texts, tuple(language.configured_languages()), 0.5) is None  # it exited unanswered
    assert detector._process is None
    assert language.detect_many(texts) == expected  # answered in process
    monkeypatch.undo()
    assert language.detect_many(texts) == expected  # a fresh process
    assert detector._process is not None and detector._process.poll() is None


def test_cached_stems_are_the_stemmers_folded_stems() -> None:
    words = [
        "die",
        "kinder",
        "spielten",
        "mit",
        "ihren",
        "hunden",
        "im",
        "garten",
        "über",
        "die",
        "zäune",
        "der",
        "gärten",
    ]
    expected = [fold(s) for s in Stemmer.Stemmer("german").stemWords(words)]
    assert language.stems(words, "de") == expected
    assert language.stems(list(reversed(words)), "de") == list(reversed(expected))  # from the cache
    assert language.stems(["zäune"], "xx") == ["zaune"]  # no stemmer: folded words


def test_a_flushs_prepared_text_fields_are_those_of_one_document_at_a_time(settings, fresh_detector) -> None:
    settings.SEARCH_DETECT_PROCESS = False
    posts = [(text, "") for text in TEXTS] + [(TEXTS[0], "de"), (TEXTS[1], "EN")]
    config = documents._language_config()
    documents.clear_cache()
    one_by_one = [documents._text_fields(body, given, config) for body, given in posts]
    settings.SEARCH_DETECT_PROCESS = True
    documents.clear_cache()
    documents.prepare_posts(posts * 2)
    assert [documents._fields[(body, given, config)] for body, given in posts] == one_by_one
    assert one_by_one[-2][2] == "de" and one_by_one[-1][2] == "en"  # the client's language, lower-cased
