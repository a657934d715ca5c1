"""Which language a post is in, and its words' stems, computed in Python at index and query time.

The Elasticsearch we install (the integ-test distribution) has no language analysers, so, as
with folding (folding.py), the work happens here and documents carry the result: `body_stemmed`
holds the folded Snowball stems of the body's words in the post's language. A post's language is
the one its client gave (Mastodon's `language`), else the one lingua detects with enough
confidence, else SEARCH_DEFAULT_LANGUAGE (an instance's default, as Mastodon has).

Queries don't know their language, so a query word is stemmed in every language of
SEARCH_LANGUAGES (query.word_stems: usually one to three distinct stems), each matching posts
indexed in its language; `language:xx` narrows to one. Stems are taken from the lower-cased word as written
(the stemmers know their accents: French `-ées`, German `-ungen`) and folded afterwards, so a
query typed without accents still meets the folded stems of accented text.

Libraries: PyStemmer (Snowball's C stemmers; the pure-Python `snowballstemmer` gives the same
stems about ten times slower) and lingua-language-detector (Rust; low-accuracy mode, restricted
to SEARCH_LANGUAGES: about 20 µs per post, 30 MB resident).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache

import Stemmer
from django.conf import settings

from socialapp.read.search.folding import fold

# ISO 639-1 code -> Snowball algorithm (PyStemmer) and lingua's language name.
STEMMERS: dict[str, str] = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_LINGUA_NAMES = {"no": "BOKMAL", "nb": "BOKMAL"}

# A word as the index and the queries see it: a run of letters, digits or underscores. The
# `standard` analyser of `body_stemmed` splits these stems the same way again.
WORD = re.compile(r"\w+")

_lock = threading.Lock()


def configured_languages() -> list[str]:
    """SEARCH_LANGUAGES that have a stemmer, in the setting's order."""
    return [code for code in settings.SEARCH_LANGUAGES if code in STEMMERS]


@cache
def _stemmer(code: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(STEMMERS[code], 10_000)


#: Folded stem of each lower-cased word seen, per language. Words repeat across posts (Zipf), so
#: most of a body is a dict lookup instead of a stemmer call plus a fold per word; a stem depends
#: on nothing but the word and the language, so the cache never changes a result.
_stem_cache: dict[str, dict[str, str]] = {}
_STEM_CACHE_WORDS = 50_000  # per language (queries stem in every one); emptied when full: a few MB each


def stems(words: Iterable[str], code: str | None) -> list[str]:
    """The folded stems of lower-cased `words` in language `code`; no stemmer: the folded words."""
    words = list(words)
    if not code or code not in STEMMERS:
        return [fold(w) for w in words]
    known = _stem_cache.get(code)
    if known is None or len(known) > _STEM_CACHE_WORDS:
        known = _stem_cache[code] = {}
    missing = [w for w in dict.fromkeys(words) if w not in known]
    if missing:
        with _lock:  # a Stemmer object is not thread-safe (its cache); the lock is uncontended
            stemmed = _stemmer(code).stemWords(missing)
        known.update(zip(missing, map(fold, stemmed), strict=True))
    return [known[w] for w in words]


def stem_text(body: str, code: str | None) -> str:
    """`body_stemmed`: the body's words stemmed in `code`, space-separated."""
    return " ".join(stems(WORD.findall(body.lower()), code))


@lru_cache(maxsize=4)
def _detector(codes: tuple[str, ...]):  # lingua is imported lazily: loading its models is the slow part
    from lingua import Language, LanguageDetectorBuilder

    languages = {getattr(Language, _LINGUA_NAMES.get(c, _lingua_name(c)), None) for c in codes}
    languages.discard(None)
    builder = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode()
    return builder.build()


def _lingua_name(code: str) -> str:
    from lingua import IsoCode639_1, Language

    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())).name
    except (AttributeError, ValueError):
        return ""


def detect(text: str) -> str | None:
    """The ISO 639-1 code lingua is confident of (≥ SEARCH_LANGUAGE_MIN_CONFIDENCE), else None.
    Needs at least two languages in SEARCH_LANGUAGES (one language: nothing to tell apart)."""
    return detect_codes([text], tuple(configured_languages()), settings.SEARCH_LANGUAGE_MIN_CONFIDENCE)[0]


def detect_many(texts: Sequence[str]) -> list[str | None]:
    """`detect` of each text. A batch of at least DETECTOR_PROCESS_MIN texts goes to the detector
    process when SEARCH_DETECT_PROCESS is on (detector.py): lingua holds the GIL while it works,
    so in the worker's process it stalls the thread applying the next batch; in a process of its
    own it runs beside it, on another core. Same library, same languages, same threshold: the
    same answers."""
    codes = tuple(configured_languages())
    min_confidence = settings.SEARCH_LANGUAGE_MIN_CONFIDENCE
    if settings.SEARCH_DETECT_PROCESS and len(texts) >= DETECTOR_PROCESS_MIN and len(codes) > 1:
        from socialapp.read.search import detector

        found = detector.detect(list(texts), codes, min_confidence)
        if found is not None:
            return found
    return detect_codes(texts, codes, min_confidence)


#: Fewer texts than this are detected in process: a round trip to the detector process would
#: cost more than it saves (a lone post, a test).
DETECTOR_PROCESS_MIN = 16


def detect_codes(texts: Sequence[str], codes: tuple[str, ...], min_confidence: float) -> list[str | None]:
    """What `detect` answers for each text, with the languages and threshold given (no settings:
    the detector process runs this too)."""
    if len(codes) < 2:
        return [codes[0] if len(codes) == 1 else None for _text in texts]
    detector = _detector(codes)
    out: list[str | None] = []
    with _lock:
        for text in texts:
            if not WORD.search(text):
                out.append(None)
                continue
            values = detector.compute_language_confidence_values(text)
            if not values or values[0].value < min_confidence:
                out.append(None)
                continue
            code = values[0].language.iso_code_639_1.name.lower()
            out.append("no" if code == "nb" else code)
    return out


def document_language(given: str | None, body: str) -> str:
    """The language a post is indexed in: the client's, else detected, else the default."""
    if given:
        return given.lower()
    return detect(body) or settings.SEARCH_DEFAULT_LANGUAGE
