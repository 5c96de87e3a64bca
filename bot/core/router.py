"""Router: which group owns a question's topic, from routing.yaml's terms and phrases.

A reply can carry both an answer and "for more, ask in #sig-auth". When the bot answers with an entry,
that entry's owner is the route, so the reply names one group; otherwise the likeliest entry's owner
counts as evidence in proportion to the matcher's belief, beside the groups' own vocabulary.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.core.knowledge import FaqEntry, Route
from bot.core.text import Shorthand, terms

TERM_WEIGHT = 1.0
PHRASE_WEIGHT = 2.0  # a whole phrase: "encryption at rest" says more than "encryption"
OWNER_PRIOR = 3.0  # the answered entry's owner
MIN_SCORE = 1.0  # below this no group clearly owns the question
PRIVATE_ROUTE = "security-response-committee"


@dataclass(frozen=True)
class _Phrase:
    route_index: int
    words: tuple[str, ...]


class Router:
    """Scores routes by the distinctive vocabulary each owns."""

    def __init__(self, routes: tuple[Route, ...] | list[Route], shorthand: Shorthand) -> None:
        self.routes = tuple(routes)
        self.shorthand = shorthand
        owners: dict[str, set[int]] = defaultdict(set)
        phrases: list[_Phrase] = []
        for index, route in enumerate(self.routes):
            for term in route.terms:
                analysed = terms(term, shorthand)
                if len(analysed) == 1:
                    owners[analysed[0]].add(index)
                elif analysed:
                    phrases.append(_Phrase(index, tuple(analysed)))
            for phrase in route.phrases:
                if analysed := tuple(terms(phrase, shorthand)):
                    phrases.append(_Phrase(index, analysed))
        # A term several groups claim points to none of them in particular.
        self._terms = {term: {i: TERM_WEIGHT / len(idx) for i in idx} for term, idx in owners.items()}
        self._phrases = tuple(phrases)
        self._by_id = {route.id: index for index, route in enumerate(self.routes)}

    def scores(self, text: str) -> dict[str, float]:
        """Evidence per route id for a (normalised) question."""
        words = terms(text, self.shorthand)
        # In the question's order, not a set's: the sums (and so the routes) never depend on the hash seed.
        present = dict.fromkeys(words)
        totals: dict[int, float] = defaultdict(float)
        for term in present:
            for index, weight in self._terms.get(term, {}).items():
                totals[index] += weight
        joined = f" {' '.join(words)} "
        for phrase in self._phrases:
            if phrase.words[0] in present and f" {' '.join(phrase.words)} " in joined:
                totals[phrase.route_index] += PHRASE_WEIGHT
        return {self.routes[index].id: score for index, score in totals.items()}

    def route(self, text: str, *, answer: FaqEntry | None = None, hint: FaqEntry | None = None,
              belief: float = 0.0) -> Route | None:
        """The owning group, or None when nothing points clearly at one.

        `answer`: the entry the bot answers with; its owner is the route (fifth session: real `tune` routes
        166 -> 170 of 197, holdout 120 -> 121 of 127, dev unchanged; docs/matching.md). `hint`: an entry
        the matcher found likely but does not answer with, `belief` (0-1) how likely; its owner gets that
        share of the owner prior, added to the words' scores.
        """
        if answer is not None and answer.owner in self._by_id:
            return self.routes[self._by_id[answer.owner]]
        scores = self.scores(text)
        if hint is not None and hint.owner in self._by_id and belief > 0:
            scores[hint.owner] = scores.get(hint.owner, 0.0) + OWNER_PRIOR * belief
        if not scores:
            return None
        best_id, best = max(scores.items(), key=lambda item: (item[1], -self._by_id[item[0]]))  # ties: file order
        return self.routes[self._by_id[best_id]] if best >= MIN_SCORE else None

    def get(self, route_id: str) -> Route | None:
        index = self._by_id.get(route_id)
        return self.routes[index] if index is not None else None
