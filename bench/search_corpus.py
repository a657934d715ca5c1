"""The relevance benchmark's corpus and labelled queries, generated from a seed and kept in the repo.

    python -m bench.search_corpus     # rewrites bench/data/search_relevance/{corpus.jsonl.gz,queries.json}

Posts are short social posts in English, German, French and Spanish, made from the vocabulary of
bench/search_vocab.py: each is ABOUT one or two topics (running, books, weather, ...), which its
sentences express with words of the topics' families in varied inflections, or is chatter about
nothing, or a distractor (words that look like topic words but are not). Around them: accents,
hashtags, mentions, links, authors posting more or less often in one or two languages, dates over
2025, heavy-tailed like and comment counts, a client-given language on a quarter of the posts,
a few non-public and sensitive posts.

The labels come from this generator's ground truth, never from a search engine. A word belongs to
one family of its language; a post contains a family when one of its words (hashtags included:
they are words of the body) is a form of it. For a query word, the target families are its family
plus the families of other languages that have the same form (`marathon`, `hotel`, `café`).
Grades (docs/search.md, "Relevance benchmark"):

- a word: 2 when the post contains the word as typed (folded: accents and case aside), 1 when it
  contains another form of a target family, else 0; several words: the least of their grades;
- a typo: the grades of the word meant;
- a prefix (the last word, no trailing space): 2 when a word of the post is a target form that
  starts with it, 1 for another form of those families;
- a quoted phrase: 2 for the words in that order, 1 for an inflected variant of them in order;
- operators (`from:`, `before:`, `after:`, `during:`, `has:`, `language:`, `-word`): the grades of
  the words, 0 for posts that don't satisfy the operator (by ground truth: the real author, date,
  link, mention, language, excluded family); operators alone: 1 for every post that satisfies them.

Only public posts are relevant (the queries are anonymous). Dates: no post is made on the days
that `before:`/`after:` queries name (GAP_DAYS), and posts are made between 02:00 and 22:00 UTC,
so an inclusive or exclusive bound or a time zone up to two hours away gives the same answer.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

from bench import search_vocab as V
from socialapp.common.text import parse_hashtags, parse_mentions
from socialapp.read.search.folding import fold

SEED = 18
N_POSTS = 12_000
YEAR = 2025
GAP_DAYS = (date(2025, 3, 1), date(2025, 5, 15), date(2025, 7, 1), date(2025, 9, 1), date(2025, 10, 15))
DATA = Path(__file__).resolve().parent / "data" / "search_relevance"
CORPUS_FILE = DATA / "corpus.jsonl.gz"
QUERIES_FILE = DATA / "queries.json"
CATEGORIES = ("plain", "morphological", "typos", "prefixes", "phrases", "operators")

_WORD = re.compile(r"\w+")  # a word as language.WORD sees it (the `standard` analyser splits alike)

# German nouns are capitalised in posts; these forms are verbs and adjectives.
_DE_LOWER = set(
    " ".join([
        "laufen laufe läuft lief gelaufen joggen jogge joggt gejoggt trainieren trainiert trainiere radeln radle",
        "radelt geradelt kochen koche kocht kochte gekocht backen backe backt gebacken lesen lese liest las gelesen",
        "singen singe singt sang gesungen reisen reist reiste gereist fliegen fliege fliegt flog geflogen pflanzt",
        "gepflanzt fotografieren fotografiert spielen spielt spielte gespielt regnet regnete geregnet regnerisch",
        "schneit schneite geschneit stürmisch sonnig",
    ]).split()
)  # fmt: skip


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _WORD.findall(fold(text))


# ------------------------------------------------------------------------------ vocabulary
@dataclass
class Vocabulary:
    """The families of bench/search_vocab.py indexed by folded form, and the checks that keep the
    labels honest (a form names one family of its language; no chatter word is a form)."""

    family_of: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> folded form -> family id
    forms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # family id -> forms as written
    topic_of: dict[str, str] = field(default_factory=dict)  # family id -> topic

    @classmethod
    def build(cls) -> Vocabulary:
        vocab = cls()
        for topic, by_language in V.TOPICS.items():
            for lang, families in by_language.items():
                for i, forms in enumerate(families):
                    fid = f"{lang}:{topic}:{forms[0]}"
                    vocab.forms[fid] = forms
                    vocab.topic_of[fid] = topic
                    for form in forms:
                        folded = fold(form)
                        other = vocab.family_of.setdefault(lang, {}).setdefault(folded, fid)
                        if other != fid:
                            raise ValueError(f"{lang} form {form!r} is in {other} and {fid} ({i})")
        vocab.check()
        return vocab

    def check(self) -> None:
        for lang in V.LANGUAGES:
            texts = [*V.FILLERS[lang], *V.DISTRACTORS[lang], *V.GENERIC_HASHTAGS[lang], *V.FIRST_NAMES[lang],
                     *V.SURNAMES[lang]]  # fmt: skip
            texts += [t.replace("{a}", "").replace("{A}", "").replace("{b}", "") for t in V.TOPIC_TEMPLATES[lang]]
            texts += [t.replace("{p}", "").replace("{P}", "") for t in V.PHRASE_TEMPLATES[lang]]
            texts += [t.replace("{d}", "").replace("{D}", "") for t in V.DISTRACTOR_TEMPLATES[lang]]
            for text in texts:
                for w in words(text):
                    if w in self.family_of[lang]:
                        raise ValueError(f"{lang}: {w!r} in {text!r} is a form of {self.family_of[lang][w]}")
            # A topic's hashtag is a word of the body: a form of another language only would be
            # a word the labels cannot see (an English #running on a Spanish post).
            for tags in V.HASHTAGS.values():
                for tag in tags[lang]:
                    w = fold(tag)
                    if w not in self.family_of[lang] and any(w in other for other in self.family_of.values()):
                        raise ValueError(f"{lang}: hashtag {tag!r} is a form of another language only")

    def other_words(self) -> set[str]:
        """Every word of the corpus that is no topic form: chatter, templates, phrase words,
        hashtags, distractors, names (a prefix or a typo must not be one of them: a person who
        types `plan` may well mean `plan`)."""
        texts = [t for lang in V.LANGUAGES for t in (*V.FILLERS[lang], *V.TOPIC_TEMPLATES[lang],
                 *V.PHRASE_TEMPLATES[lang], *V.DISTRACTORS[lang], *V.DISTRACTOR_TEMPLATES[lang],
                 *V.GENERIC_HASHTAGS[lang], *V.FIRST_NAMES[lang], *V.SURNAMES[lang])]  # fmt: skip
        texts += [alt for by_lang in V.PHRASES.values() for phrases in by_lang.values() for slots in phrases
                  for slot in slots for alt in slot]  # fmt: skip
        texts += [tag for by_lang in V.HASHTAGS.values() for tags in by_lang.values() for tag in tags]
        return {w for t in texts for w in words(t)} - self.all_forms()

    def families_in(self, lang: str, tokens: list[str]) -> set[str]:
        known = self.family_of[lang]
        return {known[t] for t in tokens if t in known}

    def targets(self, word: str) -> set[str]:
        """The families a query word means: the ones, in any language, that have it as a form."""
        w = fold(word)
        return {by_form[w] for by_form in self.family_of.values() if w in by_form}

    def prefix_targets(self, prefix: str) -> set[str]:
        p = fold(prefix)
        return {fid for by_form in self.family_of.values() for form, fid in by_form.items() if form.startswith(p)}

    def all_forms(self) -> set[str]:
        return {form for by_form in self.family_of.values() for form in by_form}


# ------------------------------------------------------------------------------ authors and posts
@dataclass
class Author:
    id: int
    username: str
    display_name: str
    languages: tuple[str, ...]  # the first is the one most posts are in


def make_authors(rng: random.Random, n: int) -> tuple[list[Author], list[float]]:
    """Authors and their posting weights (heavy-tailed: a few post a lot)."""
    langs = list(V.LANGUAGE_SHARE)
    shares = list(V.LANGUAGE_SHARE.values())
    authors = []
    for i in range(1, n + 1):
        lang = rng.choices(langs, shares)[0]
        first = rng.choice(V.FIRST_NAMES[lang])
        languages = (lang,) if rng.random() > 0.15 else (lang, rng.choice([x for x in langs if x != lang]))
        display = f"{first.title()} {rng.choice(V.SURNAMES[lang])}"
        authors.append(Author(i, f"{first}{i}", display, languages))
    weights = [1 / rank**0.8 for rank in range(1, n + 1)]
    rng.shuffle(weights)
    return authors, weights


def posting_days() -> list[date]:
    start = date(YEAR, 1, 1)
    days = [start + timedelta(days=i) for i in range((date(YEAR + 1, 1, 1) - start).days)]
    return [d for d in days if d not in GAP_DAYS]


class PostMaker:
    """Makes posts one at a time (the latency benchmark makes a million the same way)."""

    def __init__(self, rng: random.Random, vocab: Vocabulary, authors: list[Author], weights: list[float]) -> None:
        self.rng = rng
        self.vocab = vocab
        self.authors = authors
        self.cum_weights = []
        total = 0.0
        for w in weights:
            total += w
            self.cum_weights.append(total)
        self.days = posting_days()
        self.topics = list(V.TOPICS)
        # Zipf-like use of a family's forms: the lemma most, the rarest form a few times less.
        self.form_weights = {fid: [1 / (r + 1) ** 0.9 for r in range(len(forms))] for fid, forms in vocab.forms.items()}
        self.families = {(t, lang): [f"{lang}:{t}:{fam[0]}" for fam in fams]
                         for t, by_lang in V.TOPICS.items() for lang, fams in by_lang.items()}  # fmt: skip

    def form(self, fid: str, lang: str) -> str:
        forms = self.vocab.forms[fid]
        word = self.rng.choices(forms, self.form_weights[fid])[0]
        return word.capitalize() if lang == "de" and word not in _DE_LOWER else word

    def topic_sentence(self, topic: str, lang: str) -> str:
        rng = self.rng
        fams = self.families[(topic, lang)]
        fa = rng.choice(fams)
        fb = rng.choice([f for f in fams if f != fa] or fams)
        a, b = self.form(fa, lang), self.form(fb, lang)
        template = rng.choice(V.TOPIC_TEMPLATES[lang])
        return template.replace("{A}", a[:1].upper() + a[1:]).replace("{a}", a).replace("{b}", b)

    def phrase_sentence(self, topic: str, lang: str) -> str:
        rng = self.rng
        slots = rng.choice(V.PHRASES[topic][lang])
        chosen = [s[0] for s in slots] if rng.random() < 0.6 else [rng.choice(s) for s in slots]
        phrase = " ".join(chosen)
        template = rng.choice(V.PHRASE_TEMPLATES[lang])
        return template.replace("{P}", phrase[:1].upper() + phrase[1:]).replace("{p}", phrase)

    def distractor_sentence(self, lang: str) -> str:
        d = self.rng.choice(V.DISTRACTORS[lang])
        return self.rng.choice(V.DISTRACTOR_TEMPLATES[lang]).replace("{D}", d.capitalize()).replace("{d}", d)

    def make(self, post_id: int, index: int, total: int) -> dict[str, Any]:
        """Post number `index` of `total` (its date: posts are spread over the year in id order)."""
        rng = self.rng
        author = self.authors[rng.choices(range(len(self.authors)), cum_weights=self.cum_weights)[0]]
        lang = author.languages[0] if len(author.languages) == 1 or rng.random() < 0.7 else author.languages[1]
        roll = rng.random()
        topics: list[str] = []
        sentences: list[str] = []
        tags: list[str] = []
        if roll < 0.62:
            kind = "topic"
            topics = rng.sample(self.topics, 2 if roll < 0.10 else 1)
            for topic in topics:
                sentences.append(self.topic_sentence(topic, lang))
                if rng.random() < 0.25:
                    sentences.append(self.phrase_sentence(topic, lang))
            if rng.random() < 0.05:
                sentences.append(self.distractor_sentence(lang))
            if rng.random() < 0.35:
                tags += rng.sample(V.HASHTAGS[topics[0]][lang], rng.randint(1, 2))
        elif roll < 0.92:
            kind = "chatter"
            sentences += rng.sample(V.FILLERS[lang], rng.randint(1, 2))
        else:
            kind = "distractor"
            sentences.append(self.distractor_sentence(lang))
        if rng.random() < 0.4:
            filler = rng.choice(V.FILLERS[lang])
            sentences.insert(0, filler) if rng.random() < 0.5 else sentences.append(filler)
        if rng.random() < 0.12:
            tags.append(rng.choice(V.GENERIC_HASHTAGS[lang]))
        body = " ".join(s if not s[-1].isalnum() else f"{s}." for s in sentences)
        if rng.random() < 0.15:
            other = self.authors[rng.randrange(len(self.authors))]
            body = f"@{other.username} {body}" if rng.random() < 0.5 else f"{body} cc @{other.username}"
        if rng.random() < 0.10:
            host = rng.choice(["example.org", "example.com", "blog.example.net"])
            body += f" https://{host}/p/{rng.getrandbits(24):06x}"
        if rng.random() < 0.08:
            body += " " + rng.choice(["😊", "🎉", "🙌", "☕", "🌧️", "🔥"])
        if tags:
            body += " " + " ".join(f"#{t}" for t in dict.fromkeys(tags))
        day = self.days[min(len(self.days) - 1, index * len(self.days) // total)]
        created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(2 * 3600, 22 * 3600)
        )
        likes = min(5000, int(rng.paretovariate(1.4)) - 1)
        visibility = rng.choices(["public", "unlisted", "followers"], [0.97, 0.02, 0.01])[0]
        return {
            "post_id": post_id,
            "author_id": author.id,
            "author_username": author.username,
            "author_display_name": author.display_name,
            "body": body,
            "hashtags": parse_hashtags(body),
            "mentions": [m.lower() for m in parse_mentions(body)],
            "created_at": created.isoformat().replace("+00:00", "Z"),
            "like_count": likes,
            "comment_count": int(likes * rng.random() * 0.3),
            "visibility": visibility,
            "language": lang if rng.random() < 0.25 else "",  # the client's; "" = not given
            "sensitive": rng.random() < 0.03,
            # ground truth, not indexed
            "true_language": lang,
            "topics": topics,
            "kind": kind,
        }


def generate_posts(seed: int, n: int, *, n_authors: int | None = None) -> Iterator[dict[str, Any]]:
    """`n` posts, ids 1..n in date order, the same for the same seed."""
    rng = random.Random(seed)
    vocab = Vocabulary.build()
    authors, weights = make_authors(rng, n_authors or max(50, n // 30))
    maker = PostMaker(rng, vocab, authors, weights)
    for i in range(n):
        yield maker.make(i + 1, i, n)


# ------------------------------------------------------------------------------ labels
@dataclass
class Seen:
    """What the labels need to know of a post."""

    id: str
    lang: str
    author: str
    day: date
    tokens: list[str]
    token_set: set[str]
    families: set[str]
    link: bool
    mention: bool
    hashtag: bool
    public: bool


def seen(post: dict[str, Any], vocab: Vocabulary) -> Seen:
    tokens = words(post["body"])
    return Seen(
        id=str(post["post_id"]),
        lang=post["true_language"],
        author=post["author_username"],
        day=date.fromisoformat(post["created_at"][:10]),
        tokens=tokens,
        token_set=set(tokens),
        families=vocab.families_in(post["true_language"], tokens),
        link="https://" in post["body"],
        mention=bool(post["mentions"]),
        hashtag=bool(post["hashtags"]),
        public=post["visibility"] == "public",
    )


Grader = Callable[[Seen], int]


def word_grader(vocab: Vocabulary, word: str) -> Grader:
    w, targets = fold(word), vocab.targets(word)
    if not targets:
        raise ValueError(f"{word!r} is no form of any family")

    def grade(p: Seen) -> int:
        if not p.families & targets:
            return 0
        return 2 if w in p.token_set else 1

    return grade


def prefix_grader(vocab: Vocabulary, prefix: str) -> Grader:
    p_, targets = fold(prefix), vocab.prefix_targets(prefix)

    def grade(p: Seen) -> int:
        if not p.families & targets:
            return 0
        known = vocab.family_of[p.lang]
        return 2 if any(t.startswith(p_) and known.get(t) in targets for t in p.token_set) else 1

    return grade


def all_of(graders: list[Grader]) -> Grader:
    return lambda p: min(g(p) for g in graders)


def phrase_grader(slots: list[tuple[str, ...]]) -> Grader:
    canonical = tuple(words(" ".join(s[0] for s in slots)))
    variants = {tuple(words(" ".join(c))) for c in product(*slots)} - {canonical}

    def occurs(seq: tuple[str, ...], tokens: list[str]) -> bool:
        k = len(seq)
        return any(tuple(tokens[i : i + k]) == seq for i in range(len(tokens) - k + 1) if tokens[i] == seq[0])

    def grade(p: Seen) -> int:
        if occurs(canonical, p.tokens):
            return 2
        return 1 if any(occurs(v, p.tokens) for v in variants) else 0

    return grade


def gated(grader: Grader | None, keep: Callable[[Seen], bool]) -> Grader:
    """An operator: the words' grades where `keep` holds (operators alone: 1 where it holds)."""
    return lambda p: (grader(p) if grader else 1) if keep(p) else 0


@dataclass
class Labelled:
    q: str
    category: str
    language: str
    relevant: dict[str, int]
    note: str = ""


class QueryMaker:
    """Draws queries of each category from the vocabulary and labels them on the corpus."""

    def __init__(self, rng: random.Random, vocab: Vocabulary, posts: list[dict[str, Any]]) -> None:
        self.rng = rng
        self.vocab = vocab
        self.posts = posts
        self.seen = [seen(p, vocab) for p in posts]
        self.public = [s for s in self.seen if s.public]
        self.made: list[Labelled] = []
        self.used: set[str] = set()
        self.keys: set[tuple[str, str]] = set()  # (category, word family or word): no repeats
        self.other = self.vocab.other_words()
        self.avoid = self.vocab.all_forms() | self.other

    def label(self, grader: Grader) -> dict[str, int]:
        return {s.id: g for s in self.public if (g := grader(s))}

    def add(
        self, q: str, category: str, language: str, grader: Grader, *, least: int = 3, note: str = "", key: str = ""
    ) -> bool:
        if q in self.used or (key and (category, key) in self.keys):
            return False
        relevant = self.label(grader)
        if len(relevant) < least:
            return False
        self.used.add(q)
        if key:
            self.keys.add((category, key))
        self.made.append(Labelled(q, category, language, relevant, note))
        return True

    def families(self, lang: str | None = None) -> list[str]:
        return sorted(f for f in self.vocab.forms if lang is None or f.startswith(f"{lang}:"))

    def lang_of(self, fid: str) -> str:
        return fid.split(":", 1)[0]

    def typed(self, form: str, plain_share: float = 0.3) -> str:
        """As a person types it: sometimes without accents."""
        return fold(form) if fold(form) != form.lower() and self.rng.random() < plain_share else form

    def fill(self, category: str, want: int, attempt: Callable[[], bool], tries: int = 5000) -> None:
        got = 0
        for _ in range(tries):
            if got >= want:
                return
            got += attempt()
        raise RuntimeError(f"only {got} {category} queries of {want}")

    # -- categories
    def plain(self) -> bool:
        rng, fams = self.rng, self.families()
        fid = rng.choice(fams)
        lang = self.lang_of(fid)
        lemma = self.vocab.forms[fid][0]
        if rng.random() < 0.6:
            return self.add(self.typed(lemma), "plain", lang, word_grader(self.vocab, lemma), key=fid)
        topic = self.vocab.topic_of[fid]
        others = [f for f in self.families(lang) if self.vocab.topic_of[f] == topic and f != fid]
        other = rng.choice(others)
        second = rng.choice(self.vocab.forms[other][:2])
        grader = all_of([word_grader(self.vocab, lemma), word_grader(self.vocab, second)])
        return self.add(f"{self.typed(lemma)} {self.typed(second)}", "plain", lang, grader, key=fid)

    def morphological(self) -> bool:
        rng = self.rng
        fid = rng.choice([f for f in self.families() if len(self.vocab.forms[f]) >= 3])
        lang = self.lang_of(fid)
        form = rng.choice([f for f in self.vocab.forms[fid][1:] if len(fold(f)) >= 4] or [""])
        if not form:
            return False
        grader = word_grader(self.vocab, form)
        if not any(g == 1 for g in self.label(grader).values()):
            return False  # no other inflection in the corpus: nothing morphological to find
        note = f"family of {self.vocab.forms[fid][0]}"
        return self.add(self.typed(form), "morphological", lang, grader, note=note, key=fid)

    def typo(self) -> bool:
        rng = self.rng
        fid = rng.choice(self.families())
        lang = self.lang_of(fid)
        form = rng.choice(self.vocab.forms[fid])
        w = fold(form)
        if len(w) < 5:
            return False
        wrong = misspell(rng, w, 2 if len(w) >= 9 and rng.random() < 0.3 else 1, self.avoid)
        if wrong is None or self.ambiguous(wrong, w):
            return False
        return self.add(wrong, "typos", lang, word_grader(self.vocab, form), note=f"meant {form}", key=fid)

    def ambiguous(self, typo: str, meant: str) -> bool:
        """Whether another word of the corpus, not of the families meant, is as close to the typo
        as the word meant (`joggr`: `jogger`, or German `joggt`?): then no one knows the intent."""
        meant_forms = {fold(f) for fid in self.vocab.targets(meant) for f in self.vocab.forms[fid]}
        d = edit_distance(typo, meant)
        return any(edit_distance(typo, x) <= d for x in self.avoid - meant_forms if abs(len(x) - len(typo)) <= d)

    def prefix(self) -> bool:
        rng = self.rng
        fid = rng.choice(self.families())
        lang = self.lang_of(fid)
        form = fold(rng.choice(self.vocab.forms[fid]))
        if len(form) < 6:
            return False
        pre = form[: rng.randint(4, len(form) - 1)]
        if pre in self.other:
            return False  # a word of its own
        if rng.random() < 0.75:
            return self.add(pre, "prefixes", lang, prefix_grader(self.vocab, pre), note=f"typing {form}", key=fid)
        topic = self.vocab.topic_of[fid]
        other = rng.choice([f for f in self.families(lang) if self.vocab.topic_of[f] == topic and f != fid])
        first = self.vocab.forms[other][0]
        grader = all_of([word_grader(self.vocab, first), prefix_grader(self.vocab, pre)])
        return self.add(f"{first} {pre}", "prefixes", lang, grader, note=f"typing {form}", key=fid)

    def phrase(self) -> bool:
        rng = self.rng
        topic = rng.choice(list(V.PHRASES))
        lang = rng.choice(V.LANGUAGES)
        slots = rng.choice(V.PHRASES[topic][lang])
        q = '"' + " ".join(s[0] for s in slots) + '"'
        return self.add(q, "phrases", lang, phrase_grader(slots), least=2)

    def operator(self, which: str) -> bool:
        rng, vocab = self.rng, self.vocab
        fid = rng.choice(self.families())
        lang = self.lang_of(fid)
        lemma = vocab.forms[fid][0]
        word = word_grader(vocab, lemma)
        if which in ("from", "from+word"):
            counts = Counter(s.author for s in self.public)
            authors = sorted(a for a, n in counts.items() if 5 <= n <= 80)
            author = rng.choice(authors)
            if which == "from":
                return self.add(f"from:{author}", "operators", "", gated(None, lambda p: p.author == author))
            theirs = sorted({f for s in self.public if s.author == author for f in s.families})
            if not theirs:
                return False
            fid = rng.choice(theirs)
            lemma = vocab.forms[fid][0]
            return self.add(f"from:{author} {lemma}", "operators", self.lang_of(fid),
                            gated(word_grader(vocab, lemma), lambda p: p.author == author), least=2,
                            key=lemma)  # fmt: skip
        if which in ("before", "after"):
            bound = rng.choice(GAP_DAYS)
            keep = (lambda p: p.day < bound) if which == "before" else (lambda p: p.day > bound)
            return self.add(f"{which}:{bound.isoformat()} {lemma}", "operators", lang, gated(word, keep), key=lemma)
        if which == "during":
            day = rng.choice(posting_days())
            return self.add(f"during:{day.isoformat()}", "operators", "", gated(None, lambda p: p.day == day))
        if which.startswith("has:"):
            facet = which[4:]
            keep = {"link": lambda p: p.link, "mention": lambda p: p.mention, "hashtag": lambda p: p.hashtag}[facet]
            return self.add(f"{which} {lemma}", "operators", lang, gated(word, keep), key=lemma)
        if which == "language":
            shared = sorted({w for w in vocab.all_forms() if len(vocab.targets(w)) >= 2})
            w = rng.choice(shared)
            code = self.lang_of(rng.choice(sorted(vocab.targets(w))))
            return self.add(f"language:{code} {w}", "operators", code,
                            gated(word_grader(vocab, w), lambda p: p.lang == code),
                            key=" ".join(sorted(vocab.targets(w))))  # fmt: skip
        if which == "exclude":
            topic = vocab.topic_of[fid]
            other = rng.choice([f for f in self.families(lang) if vocab.topic_of[f] == topic and f != fid])
            excluded = vocab.forms[other][0]
            both = self.label(all_of([word, word_grader(vocab, excluded)]))
            if len(both) < 2:
                return False  # the exclusion would exclude nothing
            targets = vocab.targets(excluded)
            keep = lambda p: not (p.families & targets) and fold(excluded) not in p.token_set  # noqa: E731
            return self.add(f"{lemma} -{excluded}", "operators", lang, gated(word, keep), key=lemma)
        raise ValueError(which)

    def make(self) -> list[Labelled]:
        rng = self.rng
        self.fill("plain", 20, self.plain)
        self.fill("morphological", 25, self.morphological)
        # Two classic misspellings, then generated ones.
        self.add(
            "libary", "typos", "en", word_grader(self.vocab, "library"), note="meant library", key="en:books:library"
        )
        self.add("runing", "typos", "en", word_grader(self.vocab, "running"), note="meant running",
                 key="en:running:run")  # fmt: skip
        self.fill("typos", 23, self.typo)
        self.fill("prefixes", 20, self.prefix)
        self.fill("phrases", 20, self.phrase)
        plan = {"from": 4, "from+word": 3, "before": 3, "after": 3, "during": 2, "has:link": 2, "has:mention": 2,
                "has:hashtag": 1, "language": 4, "exclude": 6}  # fmt: skip
        for which, n in plan.items():
            self.fill(f"operators ({which})", n, lambda w=which: self.operator(w))
        del rng
        return self.made


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    adjacent letters (Elasticsearch's fuzziness with transpositions counts alike)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def misspell(rng: random.Random, w: str, edits: int, avoid: set[str]) -> str | None:
    """`w` with `edits` typing errors, none in the first two characters (a dropped, doubled,
    swapped or neighbouring letter), or None when that makes no new word (or one in `avoid`)."""
    out = w
    for _ in range(edits):
        i = rng.randrange(2, len(out))
        op = rng.choice(["drop", "double", "swap", "near"])
        if op == "drop":
            out = out[:i] + out[i + 1 :]
        elif op == "double":
            out = out[:i] + out[i] + out[i:]
        elif op == "swap" and i + 1 < len(out) and out[i] != out[i + 1]:
            out = out[:i] + out[i + 1] + out[i] + out[i + 2 :]
        else:
            near = _NEIGHBOURS.get(out[i])
            if not near:
                return None
            out = out[:i] + rng.choice(near) + out[i + 1 :]
    return None if out == w or out in avoid or len(out) < 4 else out


_NEIGHBOURS = {  # QWERTY(Z) neighbours, for substitutions
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo", "j": "hk",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "wa", "r": "et", "s": "ad", "t": "rz",
    "u": "zi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "tu",
}  # fmt: skip


# ------------------------------------------------------------------------------ files
CORPUS_FIELDS = ("post_id", "author_id", "author_username", "author_display_name", "body", "hashtags", "mentions",
                 "created_at", "like_count", "comment_count", "visibility", "language", "sensitive",
                 "true_language", "topics", "kind")  # fmt: skip


def corpus_bytes(posts: list[dict[str, Any]]) -> bytes:
    """The gzipped JSON lines, byte for byte the same for the same posts (no timestamp inside)."""
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        for p in posts:
            gz.write(json.dumps({k: p[k] for k in CORPUS_FIELDS}, ensure_ascii=False).encode() + b"\n")
    return raw.getvalue()


def queries_document(labelled: list[Labelled], n_posts: int) -> dict[str, Any]:
    return {
        "generator": "bench/search_corpus.py",
        "seed": SEED,
        "posts": n_posts,
        "grades": "2: the word(s) as typed or the exact phrase; 1: another inflection of the same family (or an "
        "inflected phrase); absent: 0. Operators alone: 1 for every post satisfying them. See docs/search.md.",
        "queries": [
            {"id": f"{q.category}-{i:02d}", "q": q.q, "category": q.category, "language": q.language,
             "note": q.note, "relevant": q.relevant}
            for category in CATEGORIES
            for i, q in enumerate([q for q in labelled if q.category == category], 1)
        ],
    }  # fmt: skip


def generate(seed: int = SEED, n_posts: int = N_POSTS) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The corpus and the labelled queries, from the seed alone."""
    posts = list(generate_posts(seed, n_posts))
    labelled = QueryMaker(random.Random(seed + 1), Vocabulary.build(), posts).make()
    return posts, queries_document(labelled, n_posts)


def load() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The committed corpus and queries."""
    with gzip.open(CORPUS_FILE, "rt", encoding="utf-8") as fh:
        posts = [json.loads(line) for line in fh]
    return posts, json.loads(QUERIES_FILE.read_text())


def queries_text(doc: dict[str, Any]) -> str:
    """Indented, one query a line (its labels on that line too): readable diffs, a small file."""
    head = {k: v for k, v in doc.items() if k != "queries"}
    lines = [json.dumps(q, ensure_ascii=False) for q in doc["queries"]]
    return (
        json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "queries": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
    )


def write(posts: list[dict[str, Any]], doc: dict[str, Any]) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    CORPUS_FILE.write_bytes(corpus_bytes(posts))
    QUERIES_FILE.write_text(queries_text(doc))


def summary(posts: list[dict[str, Any]], doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "posts": len(posts),
        "languages": dict(sorted(Counter(p["true_language"] for p in posts).items())),
        "language_given": sum(1 for p in posts if p["language"]),
        "kinds": dict(sorted(Counter(p["kind"] for p in posts).items())),
        "authors": len({p["author_id"] for p in posts}),
        "with_link": sum(1 for p in posts if "https://" in p["body"]),
        "with_mention": sum(1 for p in posts if p["mentions"]),
        "with_hashtag": sum(1 for p in posts if p["hashtags"]),
        "public": sum(1 for p in posts if p["visibility"] == "public"),
        "queries": len(doc["queries"]),
        "queries_by_category": dict(Counter(q["category"] for q in doc["queries"])),
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if sys.argv[1:] else N_POSTS
    corpus, queries = generate(SEED, n)
    write(corpus, queries)
    print(json.dumps(summary(corpus, queries), indent=1))
