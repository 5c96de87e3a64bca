"""Hybrid FAQ matcher: BM25 term weighting over the knowledge plus rapidfuzz similarity.

Build once per knowledge load (`Matcher(entries, shorthand)`), then `match(question)`:
1. normalise and tokenise (bot.core.text), correcting typos against the knowledge's vocabulary;
2. score entries with BM25 (rare words such as "seccomp" outweigh "how");
3. rescore the best few with rapidfuzz over each phrasing, measure how much of the
   question the entry explains, and fold it all into one confidence in [0, 1];
4. decide: answer, suggest (close but unsure) or nothing, from configurable thresholds.
No Slack types here.
"""

from __future__ import annotations

import gc
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.knowledge import FaqEntry, OffTopic
from bot.core.text import STOPWORDS, Shorthand, stem, strip_noise, tokens

# BM25 shape parameters (the usual defaults) and how much each field of an entry counts.
K1 = 1.2
B = 0.75
# Each phrasing and tag counts a term (and an adjacent-term pair: "security audit" is not "audit
# log") once; the opening of the answer counts a quarter.
ANSWER_WEIGHT = 0.25
ANSWER_WORDS = 25  # an answer's opening states its topic; the rest would only slow the index
BIGRAM_JOIN = "_"
CORRECTED_TERM_WEIGHT = 0.7  # a typo-corrected word is weaker evidence than a spelled one
RESCORE_TOP = 8  # entries rescored with rapidfuzz after BM25
MAX_SUGGESTIONS = 3
OTHER_GROUP_PENALTY = 0.6  # an entry about "sig security" does not answer a question about "sig apps"
MIN_CORRECTION_LENGTH = 6  # shorter words are too often real words the knowledge lacks


class Decision(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    NONE = "none"


@dataclass(frozen=True)
class Candidate:
    entry: FaqEntry
    confidence: float


@dataclass(frozen=True)
class Match:
    decision: Decision
    ranked: tuple[Candidate, ...]  # best first, at most RESCORE_TOP
    normalized: str
    terms: tuple[str, ...]
    off_topic: bool = False  # no content words, or an everyday non-security topic fits best

    @property
    def best(self) -> FaqEntry | None:
        return self.ranked[0].entry if self.ranked else None

    @property
    def confidence(self) -> float:
        return self.ranked[0].confidence if self.ranked else 0.0

    def suggestions(self, floor: float) -> tuple[FaqEntry, ...]:
        return tuple(c.entry for c in self.ranked[:MAX_SUGGESTIONS] if c.confidence >= floor)


@dataclass(frozen=True)
class QueryTerms:
    """A question's content terms with their evidence weight (1.0, or less when typo-corrected)."""

    weights: dict[str, float]
    pairs: dict[str, float]  # adjacent term pairs, scored but not counted for coverage
    normalized: str
    groups: frozenset[str] = frozenset()  # community groups the question names ("sig apps" -> apps)

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.weights)


class Matcher:
    """The FAQ index and its scoring.

    The index is immutable after construction; `_corrections` memoises typo corrections (bounded).
    Not thread-safe: the service calls it from one worker thread at a time.
    """

    def __init__(self, entries: tuple[FaqEntry, ...] | list[FaqEntry], shorthand: Shorthand, *,
                 answer_threshold: float, suggest_threshold: float, off_topics: tuple[OffTopic, ...] = ()) -> None:
        self.entries = tuple(entries)
        # Documents are the FAQ entries, then the off-topic anchors (indexes past the entries).
        self.off_topics = tuple(off_topics)
        self.shorthand = shorthand
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold
        self._corrections: dict[str, str | None] = {}
        self._entry_index = {entry.id: index for index, entry in enumerate(self.entries)}
        self._word_terms: dict[str, tuple[str, ...]] = {}  # build-time cache: raw word -> its terms
        # The build allocates millions of small acyclic objects; collection passes over them only cost.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build()
        finally:
            if collecting:
                gc.enable()

    # ------------------------------------------------------------------ index

    def _analyse(self, words: list[str]) -> list[str]:
        """Content terms from raw tokens: shorthand expanded, stopwords dropped, stemmed."""
        cache = self._word_terms
        try:
            return [term for word in words for term in cache[word]]
        except KeyError:  # first sight of a word: remember its terms, then answer
            for word in words:
                if word not in cache:
                    cache[word] = tuple(stem(w) for w in self.shorthand.expand([word])
                                        if w not in STOPWORDS and len(w) > 1)
            return [term for word in words for term in cache[word]]

    def _build(self) -> None:
        vocabulary: set[str] = set(self.shorthand.expansions)
        for words in self.shorthand.expansions.values():
            vocabulary.update(words)
        field_tf: list[dict[str, float]] = []
        self._phrasings: list[list[str]] = []  # per entry: each phrasing as a term string
        self._groups: list[frozenset[str]] = []  # per entry: the community groups its phrasings name
        documents = [(entry.phrasings, entry.tags, strip_noise(entry.answer)) for entry in self.entries]
        documents += [(topic.phrasings, (), "") for topic in self.off_topics]
        postings: dict[str, list[int]] = defaultdict(list)
        for phrasings, tags, answer in documents:
            mentions: list[set[str]] = []  # each phrasing and tag counts a term once
            rendered: list[str] = []
            groups: set[str] = set()
            for phrasing in phrasings:
                words = tokens(phrasing)
                if "sig" in words or "wg" in words:
                    groups.update(named_groups(words))
                phrasing_terms = self._analyse(words)
                rendered.append(" ".join(phrasing_terms))
                mentions.append({*phrasing_terms, *bigrams(phrasing_terms)})
            mentions.extend(set(self._analyse(tokens(tag))) for tag in tags)
            weighted: dict[str, float] = dict(Counter(chain.from_iterable(mentions)))
            for term in set(self._analyse(tokens(answer)[:ANSWER_WORDS])):
                weighted[term] = weighted.get(term, 0.0) + ANSWER_WEIGHT
            # Inverted index: term -> documents holding it. BM25 weights are computed at query
            # time from the term frequencies, which keeps the build to this one pass.
            index = len(field_tf)
            for term in weighted:
                postings[term].append(index)
            field_tf.append(weighted)
            self._phrasings.append(rendered)
            self._groups.append(frozenset(groups))
        vocabulary.update(self._word_terms)  # every raw word analysed above
        count = max(len(field_tf), 1)
        lengths = [sum(tf.values()) for tf in field_tf]
        average = (sum(lengths) / count) or 1.0
        self._count = count
        self.max_idf = bm25_idf(count, 1)  # a term only one document holds
        self._postings = dict(postings)
        self._tf = field_tf
        self._norm = [K1 * (1 - B + B * length / average) for length in lengths]
        self._vocabulary = vocabulary
        self._word_terms = {}
        self._by_length: dict[int, list[str]] = defaultdict(list)
        # Sorted: among equally close words, a typo is corrected to the same one in every process.
        for word in sorted(vocabulary):
            if len(word) >= MIN_CORRECTION_LENGTH and word.isalpha():
                self._by_length[len(word)].append(word)

    # ------------------------------------------------------------------ query

    def _correct(self, word: str) -> str | None:
        """The knowledge word a misspelt word most likely meant, or None."""
        if word in self._corrections:
            return self._corrections[word]
        edits = 1 if len(word) < 9 else 2  # one slip in a short word, two in a long one
        pool = [w for n in range(len(word) - edits, len(word) + edits + 1) for w in self._by_length.get(n, ())]
        found = process.extractOne(word, pool, scorer=OSA.distance, score_cutoff=edits) if pool else None
        corrected = found[0] if found else None
        if len(self._corrections) < 50_000:
            self._corrections[word] = corrected
        return corrected

    def query_terms(self, question: str) -> QueryTerms:
        """Content terms of a question, typo-corrected and shorthand-expanded, with weights."""
        cleaned = strip_noise(question)
        weights: dict[str, float] = {}
        sequence: list[tuple[str, float]] = []
        normalized_words: list[str] = []
        for word in tokens(cleaned):
            weight = 1.0
            if (word not in self._vocabulary and word not in STOPWORDS and len(word) >= MIN_CORRECTION_LENGTH
                    and word.isalpha() and stem(word) not in self._postings):
                corrected = self._correct(word)
                if corrected:
                    word, weight = corrected, CORRECTED_TERM_WEIGHT
            normalized_words.append(word)
            expansion = [w for w in self.shorthand.expand([word]) if w not in STOPWORDS and len(w) > 1]
            # One typed token is one concept: its long form's words share the evidence.
            share = weight
            for expanded in expansion:
                term = stem(expanded)
                weights[term] = max(weights.get(term, 0.0), share)
                sequence.append((term, share))
        pairs: dict[str, float] = {}
        for (first, w1), (second, w2) in zip(sequence, sequence[1:]):
            pairs[first + BIGRAM_JOIN + second] = min(w1, w2)
        return QueryTerms(weights=weights, pairs=pairs, normalized=" ".join(normalized_words),
                          groups=frozenset(named_groups(normalized_words)))

    def match(self, question: str) -> Match:
        query = self.query_terms(question)
        scores: dict[int, float] = defaultdict(float)
        tfs, norms, saturation = self._tf, self._norm, K1 + 1
        for term, weight in (*query.weights.items(), *query.pairs.items()):
            held = self._postings.get(term)
            if held is None:
                continue
            factor = weight * bm25_idf(self._count, len(held)) * saturation
            for index in held:
                freq = tfs[index][term]
                scores[index] += factor * freq / (freq + norms[index])
        if not scores:
            return Match(Decision.NONE, (), query.normalized, query.terms, off_topic=not query.weights)
        top = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:RESCORE_TOP]
        runner_up = top[1][1] if len(top) > 1 else 0.0
        query_mass = sum(self._term_idf(t) * w for t, w in query.weights.items()) or 1.0
        query_text = " ".join(query.terms)
        ranked = []
        off_topic = 0.0  # the best confidence of a not-security anchor
        for rank, (index, bm25) in enumerate(top):
            held = self._tf[index]
            matched_mass = sum(self._term_idf(t) * w for t, w in query.weights.items() if t in held)
            closest = process.extractOne(query_text, self._phrasings[index], scorer=fuzz.token_set_ratio)
            similarity = closest[1] / 100 if closest else 0.0
            competitor = runner_up if rank == 0 else top[0][1]
            value = confidence(bm25=bm25, coverage=matched_mass / query_mass, similarity=similarity,
                               margin=(bm25 - competitor) / bm25 if bm25 > 0 else 0.0)
            if index < len(self.entries):
                if query.groups and self._groups[index] and not query.groups & self._groups[index]:
                    value *= OTHER_GROUP_PENALTY
                ranked.append(Candidate(self.entries[index], value))
            else:
                off_topic = max(off_topic, value)
        ranked.sort(key=lambda c: c.confidence, reverse=True)
        best = ranked[0].confidence if ranked else 0.0
        if best <= off_topic:
            return Match(Decision.NONE, tuple(ranked), query.normalized, query.terms, off_topic=True)
        if best >= self.answer_threshold:
            decision = Decision.ANSWER
        elif best >= self.suggest_threshold:
            decision = Decision.SUGGEST
        else:
            decision = Decision.NONE
        return Match(decision, tuple(ranked), query.normalized, query.terms)

    def coverage(self, question: str, entry_id: str) -> float:
        """The share of `question`'s information (IDF mass of its content terms) that entry `entry_id` holds.

        The answerability gate's "does this entry speak to what was asked" (bot.core.fusion); 0.0 for
        an unknown entry or a question without content words.
        """
        index = self._entry_index.get(entry_id)
        if index is None:
            return 0.0
        query = self.query_terms(question)
        query_mass = sum(self._term_idf(t) * w for t, w in query.weights.items())
        if not query_mass:
            return 0.0
        held = self._tf[index]
        return sum(self._term_idf(t) * w for t, w in query.weights.items() if t in held) / query_mass

    def _term_idf(self, term: str) -> float:
        # A word the knowledge never uses is as informative as its rarest word: it is
        # something the question is about that no entry explains.
        held = self._postings.get(term)
        return bm25_idf(self._count, len(held)) if held else self.max_idf


def confidence(*, bm25: float, coverage: float, similarity: float, margin: float) -> float:
    """Fold the evidence into [0, 1]. Weights chosen on the development data (docs/matching.md)."""
    strength = bm25 / (bm25 + 6.0)
    value = 0.35 * strength + 0.30 * coverage + 0.25 * similarity + 0.10 * max(margin, 0.0)
    return max(0.0, min(1.0, value))


def bigrams(terms: list[str]) -> list[str]:
    return list(map(BIGRAM_JOIN.join, zip(terms, terms[1:])))


def named_groups(words: list[str]) -> list[str]:
    """Groups named as "sig X", "wg X" or "sig-X" in a token sequence."""
    return [second for first, second in zip(words, words[1:]) if first in ("sig", "wg")]


def bm25_idf(documents: int, holding: int) -> float:
    """BM25's inverse document frequency of a term that `holding` of `documents` hold."""
    return math.log(1 + (documents - holding + 0.5) / (holding + 0.5))
