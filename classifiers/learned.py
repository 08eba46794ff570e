"""The learned stage: a linear model over character n-grams of words, scored per passage, then per article.

Rules only see the words they list. Real news names the topics in other words ("remnants of the
organisation", families who "cross back", neighbourhood committees of Arabs and Kurds), and uses listed words
for other things (a woman called Isis). This stage reads every passage with a logistic model whose features
are the character 3–5-grams of each word (so "returnees", "returning", العائدين share most of their features)
and the pairs of neighbouring words ("tax return", "head home"), hashed into 2^18 buckets.

It runs only where the rules are unsure (classifier.py): for a tag below its threshold, on the passages where
its rules matched something of the topic (a support word, half of a pair, an ambiguous term) without deciding.
A passage it rates on the topic counts like a rule match; the rules' aggregation then decides, so one passage
in a long story stays a passing mention. The knobs are per language and tag in the rule files
(`learned_weight`, `learned_threshold`). The model is trained by `classifiers/train.py` on sentences we wrote
(classifiers/training/) and shipped as one small file (`model.bin`: a JSON header, then the float32 weights,
zlib-compressed), read without numpy so that start-up stays fast.

A linear model is additive, so a word's contribution is computed once per distinct word and cached: the
per-article cost is a few dictionary look-ups per word, which keeps the classifier above 500 articles/s.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.arabic import arabic_forms, normalise_arabic
from newsmon.errors import ConfigError
from newsmon.records import TAGS

SHIPPED_MODEL = Path(__file__).parent / "model.bin"
MODEL_MAGIC = b"newsmon-linear-1\n"
FEATURE_BITS = 18
NGRAM_SIZES = (3, 4, 5)
PASSAGE_WORDS = 40  # as the rules: a long Arabic sentence counts as the passages it would be in English
_MAX_CACHED = 300_000  # distinct words or word pairs; cleared when full, refilled from the next articles
_Word = tuple[int, float, float, float]  # word id, then its summed weight per tag


def word_form(word: str, lang: str) -> str:
    """The form a word is featurised in: lowercase English; Arabic normalised and without its proclitics."""
    if lang == "ar":
        return arabic_forms(normalise_arabic(word))[-1]
    return word.lower()


_MASK = (1 << FEATURE_BITS) - 1


def word_id(form: str) -> int:
    """A stable 32-bit id of a word form (crc32: Python's own str hash changes between processes)."""
    return zlib.crc32(("w:" + form).encode("utf-8"))


_WORD_ID_START = zlib.crc32(b"w:")  # crc32 runs on: word_id(form) is crc32(form's UTF-8, _WORD_ID_START)


def word_features(form: str) -> list[int]:
    """Hashed buckets of the whole word and of its character n-grams, with the word's edges marked."""
    padded = f" {form} "
    out = [word_id(form) & _MASK]
    for size in NGRAM_SIZES:
        out += [zlib.crc32(padded[i : i + size].encode("utf-8")) & _MASK for i in range(len(padded) - size + 1)]
    return out


@functools.lru_cache(maxsize=256)
def _ngram_cuts(letters: int, width: int) -> tuple[slice, ...]:
    """Where each n-gram of `word_features` lies in the UTF-8 bytes of " word ", for a word of `letters` letters
    of `width` bytes each (the padding spaces take one byte)."""
    starts = [0, *range(1, 2 + letters * width, width), 2 + letters * width]
    size = letters + 2
    return tuple(slice(starts[i], starts[i + n]) for n in NGRAM_SIZES for i in range(size - n + 1))


def pair_feature(left_id: int, right_id: int) -> int:
    """The bucket of two neighbouring words ("tax return", "head home"), from their word ids: no string work."""
    return ((left_id * 0x9E3779B1) ^ right_id) & _MASK


def passage_features(forms: Sequence[str]) -> tuple[list[int], float]:
    """The feature buckets of one passage and its scale (features count 1/sqrt(words) each), as in training."""
    buckets: list[int] = []
    for form in forms:
        buckets += word_features(form)
    ids = [word_id(form) for form in forms]
    buckets += [pair_feature(a, b) for a, b in zip(ids, ids[1:], strict=False)]
    return buckets, 1.0 / math.sqrt(len(forms) + 1)


def passages(words: Sequence[str]) -> list[Sequence[str]]:
    """A unit's words cut into passages of at most PASSAGE_WORDS."""
    return [words[i : i + PASSAGE_WORDS] for i in range(0, max(len(words), 1), PASSAGE_WORDS)]


@dataclass(frozen=True, slots=True)
class PassageScores:
    """The passages the learned stage read: where each is (unit, passage within the unit), and per tag its
    probability of being on the topic."""

    where: tuple[tuple[int, int], ...]
    probs: dict[str, tuple[float, ...]]


@dataclass
class LearnedModel:
    """Passage weights and biases of one logistic model per tag."""

    weights: array[float]  # flat float32: bucket b, tag j at 3 * b + j
    bias: tuple[float, float, float]
    digest: str
    _words: dict[str, dict[str, _Word]] = field(default_factory=dict, repr=False)  # per language: word -> _Word
    _forms: dict[str, _Word] = field(default_factory=dict, repr=False)
    # Each tag's weights by bucket: views into `weights`, not copies. Bucket b's weight for a tag is one look-up,
    # without the 3 * b + j of every feature of every new word.
    _by_tag: tuple[memoryview, memoryview, memoryview] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        flat = memoryview(self.weights)
        self._by_tag = (flat[0::3], flat[1::3], flat[2::3])

    def __getstate__(self) -> dict[str, object]:
        # Worker processes get the weights, not the caches of whatever the parent happened to read.
        return {"weights": self.weights, "bias": self.bias, "digest": self.digest}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._words = {}
        self._forms = {}
        self.__post_init__()

    def _word(self, cache: dict[str, _Word], word: str, lang: str, form_of: Callable[[str], str] | None) -> _Word:
        form = form_of(word) if form_of is not None else word_form(word, lang)
        found = self._forms.get(form)
        if found is None:  # a new form: والنازحين and للنازحين share نازحين, Return and return share return
            found = self._form_weights(form)
            if len(self._forms) >= _MAX_CACHED:
                self._forms.clear()
            self._forms[form] = found
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        cache[word] = found
        return found

    def _form_weights(self, form: str) -> _Word:
        """The form's id and the weights of `word_features(form)` summed per tag, in the same order.

        The hot path of a fresh process, which meets every word for the first time: where all letters have one
        width in UTF-8 (ASCII, one byte; Arabic, two), each n-gram is cut from one encoding of the word rather than
        encoded on its own."""
        w0, w1, w2 = self._by_tag
        crc32 = zlib.crc32
        data = f" {form} ".encode()
        identity = crc32(data[1:-1], _WORD_ID_START)  # word_id(form), from the same encoding
        bucket = identity & _MASK
        s0, s1, s2 = 0.0 + w0[bucket], 0.0 + w1[bucket], 0.0 + w2[bucket]
        if form.isascii():
            cuts = _ngram_cuts(len(form), 1)
        elif "\x80" <= min(form) and max(form) <= "\u07ff":
            cuts = _ngram_cuts(len(form), 2)
        else:
            for bucket in word_features(form)[1:]:
                s0 += w0[bucket]
                s1 += w1[bucket]
                s2 += w2[bucket]
            return identity, s0, s1, s2
        for cut in cuts:
            bucket = crc32(data[cut]) & _MASK
            s0 += w0[bucket]
            s1 += w1[bucket]
            s2 += w2[bucket]
        return identity, s0, s1, s2

    def score_passages(self, unit_words: Sequence[Sequence[str]], lang: str,
                       only: Iterable[tuple[int, int]] | None = None,
                       form_of: Callable[[str], str] | None = None) -> PassageScores:
        """Probability per tag of each passage (unit 0 is the title); of the passages in `only` when given.

        `form_of` may supply `word_form` from a cache the caller already keeps (the rule matcher's)."""
        cache = self._words.setdefault(lang, {})
        w0, w1, w2 = self._by_tag
        where: list[tuple[int, int]] = []
        logits: tuple[list[float], list[float], list[float]] = ([], [], [])
        b0, b1, b2 = self.bias
        if only is None:
            chosen = [(unit, k) for unit, words in enumerate(unit_words) for k in range(len(passages(words)))]
        else:
            chosen = sorted(set(only))
        for unit, k in chosen:
            chunk = unit_words[unit][k * PASSAGE_WORDS : (k + 1) * PASSAGE_WORDS]
            if not chunk:
                continue
            # the first word, then each next one with the pair it makes with the word before (pair_feature),
            # summed in the order of `passage_features`
            previous, s0, s1, s2 = cache.get(chunk[0]) or self._word(cache, chunk[0], lang, form_of)
            s0, s1, s2 = 0.0 + s0, 0.0 + s1, 0.0 + s2
            for w in chunk[1:]:
                identity, t0, t1, t2 = cache.get(w) or self._word(cache, w, lang, form_of)
                bucket = ((previous * 0x9E3779B1) ^ identity) & _MASK
                s0 += t0
                s1 += t1
                s2 += t2
                s0 += w0[bucket]
                s1 += w1[bucket]
                s2 += w2[bucket]
                previous = identity
            scale = 1.0 / math.sqrt(len(chunk) + 1)
            where.append((unit, k))
            logits[0].append(b0 + s0 * scale)
            logits[1].append(b1 + s1 * scale)
            logits[2].append(b2 + s2 * scale)
        return PassageScores(where=tuple(where),
                             probs={tag: tuple(_logistic(z) for z in logits[i]) for i, tag in enumerate(TAGS)})


def save_model(path: Path, weights: bytes, bias: Sequence[float]) -> None:
    """Write weights (float32, little-endian, bucket-major: 3 floats per bucket) and per-tag biases."""
    header = {"feature_bits": FEATURE_BITS, "ngram_sizes": list(NGRAM_SIZES), "tags": list(TAGS),
              "bias": [float(b) for b in bias]}
    path.write_bytes(MODEL_MAGIC + json.dumps(header).encode() + b"\n" + zlib.compress(weights, 9))


def load_model(path: Path | None = None) -> LearnedModel:
    """The shipped model, or the one at `path`; a ConfigError names the file when it cannot be used."""
    path = path or SHIPPED_MODEL
    retrain = "Retrain it with `python -m classifiers.train`."
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the learned model ({exc.strerror}). {retrain}") from exc
    try:
        if not data.startswith(MODEL_MAGIC):
            raise ValueError("not a newsmon learned-model file")
        head, _, body = data[len(MODEL_MAGIC) :].partition(b"\n")
        header = json.loads(head)
        weights = array("f")
        weights.frombytes(zlib.decompress(body))
        if sys.byteorder == "big":
            weights.byteswap()
        bias = tuple(float(b) for b in header["bias"])
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        raise ConfigError(f"{path}: cannot read the learned model ({exc}). {retrain}") from exc
    expected = {"feature_bits": FEATURE_BITS, "ngram_sizes": list(NGRAM_SIZES), "tags": list(TAGS)}
    found = {key: header.get(key) for key in expected}
    if found != expected or len(weights) != (1 << FEATURE_BITS) * len(TAGS) or len(bias) != len(TAGS):
        raise ConfigError(f"{path}: the learned model was trained for {found}; this version reads {expected}. "
                          f"{retrain}")
    return LearnedModel(weights=weights, bias=(bias[0], bias[1], bias[2]),
                        digest=hashlib.sha1(data).hexdigest()[:8])


def _logistic(z: float) -> float:
    if z < -30:
        return 0.0
    if z > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))
