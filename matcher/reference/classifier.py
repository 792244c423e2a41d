"""A character n-gram naive Bayes text classifier: the second opinion on industry texts.

Keyword rules read the head of a description well but cannot weigh everything else it says
(经营林场，杉木林抚育和采伐: a keyword hit on 经营 vs the forestry words around it). A
multinomial naive Bayes over character unigrams and bigrams of the normalised text weighs
every character; it is trained at load time, in well under a second, from data files
(official names and 说明 keywords, curated aliases, labelled example descriptions), so the
model is data like the rules and can be retrained by editing those files.

Written on numpy rather than taken from scikit-learn: the model is thirty lines, and
scikit-learn would add scipy and some 100 MB to every install for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from matcher.reference.resolution import normalize_text

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import numpy as np
else:
    from matcher.lazy import lazy_module

    np = lazy_module("numpy")


__all__ = ["CharNaiveBayes", "char_ngrams", "stripped"]


@functools.cache
def _evidence_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a hanzi, a digit), compiled on first use (a report from the memo needs neither):
    Latin pairs are too few in training to be evidence (ab in abc公司), so a pair needs a
    hanzi; a pair with a digit is part of a number, no sign of a trade."""
    return re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"), re.compile(r"\d")


_CHUNK = 4096  # texts scored per numpy gather (bounds memory: features × classes float32)


def stripped(text: str, strip: re.Pattern[str] | None = None) -> str:
    """The normalised text (NFKC, no punctuation) without the words ``strip`` matches (filler
    words such as 主要从事, 我们是); the normalised text itself if nothing else is left."""
    s = normalize_text(text)
    return (strip.sub("", s) or s) if strip is not None else s


def char_ngrams(text: str, strip: re.Pattern[str] | None = None) -> list[str]:
    """Character unigrams and bigrams of :func:`stripped` text."""
    s = stripped(text, strip)
    return [*s, *(s[i : i + 2] for i in range(len(s) - 1))]


class CharNaiveBayes:
    """Multinomial naive Bayes with a flat prior over classes.

    ``documents`` are (text, class, weight). ``alpha`` is the additive (Lidstone) smoothing.
    A flat prior, because the mix of industries in the training files says nothing about the
    mix in a user's portfolio. ``strip`` removes filler words before training and scoring:
    they occur in every class and would only make the model more sure of itself.
    """

    def __init__(
        self,
        documents: Iterable[tuple[str, str, float]],
        alpha: float = 0.1,
        strip: re.Pattern[str] | None = None,
    ) -> None:
        self.strip = strip
        docs = list(documents)
        self.classes: tuple[str, ...] = tuple(sorted({c for _, c, _ in docs}))
        index = {c: i for i, c in enumerate(self.classes)}
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        for text, cls, weight in docs:
            for gram in char_ngrams(text, strip):
                cols.append(self.vocabulary.setdefault(gram, len(self.vocabulary)))
                rows.append(index[cls])
                weights.append(weight)
        counts = np.zeros((len(self.classes), len(self.vocabulary)), dtype=np.float64)
        np.add.at(counts, (np.asarray(rows, np.intp), np.asarray(cols, np.intp)), weights)
        smoothed = counts + alpha
        log_p = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))
        # (features, classes): one row gathered per n-gram of a text
        self._log_p = np.ascontiguousarray(log_p.T, dtype=np.float32)

    @classmethod
    def from_arrays(
        cls,
        classes: Sequence[str],
        vocabulary: Sequence[str],
        log_p: np.ndarray,
        strip: re.Pattern[str] | None = None,
    ) -> CharNaiveBayes:
        """A trained model from the arrays :meth:`arrays` gave (e.g. read from a cache)."""
        if log_p.shape != (len(vocabulary), len(classes)):
            raise ValueError(
                f"log_p has shape {log_p.shape}, not ({len(vocabulary)}, {len(classes)})"
            )
        model = cls.__new__(cls)
        model.strip = strip
        model.classes = tuple(classes)
        model.vocabulary = {g: i for i, g in enumerate(vocabulary)}
        model._log_p = np.ascontiguousarray(log_p, dtype=np.float32)
        return model

    def arrays(self) -> tuple[list[str], list[str], np.ndarray]:
        """(classes, vocabulary in feature order, log P(n-gram | class) as features × classes)."""
        return list(self.classes), list(self.vocabulary), self._log_p

    def known_bigrams(self, text: str) -> tuple[int, int]:
        """(bigrams of ``text`` seen in training, all its bigrams): random characters mostly
        form pairs no description ever had, real descriptions mostly do."""
        s = stripped(text, self.strip)
        pairs = [s[i : i + 2] for i in range(len(s) - 1)]
        return sum(p in self.vocabulary for p in pairs), len(pairs)

    def evidence(self, text: str, cls: int) -> int:
        """How many known bigrams of ``text`` occur more often in class ``cls`` than on average.

        A single character says little about a trade (建 in a name), nor does a pair with a
        digit (0人 in 3500人), but a bigram the training text associates with the class does (奶茶, 螺丝): a text with none
        has nothing for the model to stand on, however peaked its posterior.
        """
        get = self.vocabulary.get
        cjk, digit = _evidence_patterns()
        ids = [
            j
            for g in char_ngrams(text, self.strip)
            if len(g) == 2 and cjk.search(g) and not digit.search(g) and (j := get(g)) is not None
        ]
        if not ids:
            return 0
        # log P(pair | class) − log P(pair) under the flat prior: the pair is more frequent in
        # the class than in the average class
        rows = self._log_p[np.asarray(ids, np.intp)].astype(np.float64)
        lift = rows[:, cls] - np.log(np.exp(rows).mean(axis=1))
        return int((lift > 0).sum())

    def log_likelihoods(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), classes) summed log P(n-gram | class); unseen n-grams are ignored."""
        n_classes = len(self.classes)
        out = np.zeros((len(texts), n_classes), dtype=np.float64)
        get = self.vocabulary.get
        for start in range(0, len(texts), _CHUNK):
            chunk = texts[start : start + _CHUNK]
            ids: list[int] = []
            counts: list[int] = []
            for text in chunk:
                found = [j for g in char_ngrams(text, self.strip) if (j := get(g)) is not None]
                ids.extend(found)
                counts.append(len(found))
            if not ids:
                continue
            gathered = self._log_p[np.asarray(ids, np.intp)]
            # each text's n-grams are one run of rows: sum the runs of texts that have any
            sizes = np.asarray(counts, np.intp)
            present = np.flatnonzero(sizes)
            first = np.concatenate(([0], np.cumsum(sizes)[:-1]))[present]
            out[start + present] = np.add.reduceat(gathered, first, axis=0)
        return out
