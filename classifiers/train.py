"""Train the learned stage (classifiers/model.bin) from the sentences we wrote in classifiers/training/*.tsv.

Usage: python -m classifiers.train [--out classifiers/model.bin]

Each line of a training file (named for its language) is `tags<TAB>kind<TAB>text`: tags is a comma list of
isis / returns / reconciliation, or "-"; kind is title, trap-title, topic, passing, near-miss, filler or trap
(kinds only document intent; the model learns from tags). One logistic regression per tag over hashed
character n-grams and word pairs of each sentence (classifiers/learned.py), L2-regularised, numpy only.

Before the final fit, a 5-fold cross-validation on the training sentences prints per-tag precision and recall:
a check that the model learns the sentences' topics, not a quality figure. Quality is measured with
`newsmon eval` on the dev and test sets, which this script never reads.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.learned import (
    FEATURE_BITS,
    SHIPPED_MODEL,
    passage_features,
    save_model,
    word_form,
)
from classifiers.matching import tokens
from newsmon.records import TAGS

TRAINING_DIR = Path(__file__).parent / "training"
FOLDS = 5
ARTICLES_PER_LANG = {"en": 3000, "ar": 2000}
L2 = 1e-4
KINDS = {"title", "trap-title", "topic", "passing", "near-miss", "filler", "trap"}


@dataclass(frozen=True, slots=True)
class Sentence:
    lang: str
    tags: frozenset[str]
    kind: str
    text: str


def read_sentences(folder: Path = TRAINING_DIR) -> list[Sentence]:
    out = []
    for path in sorted(folder.glob("*.tsv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3 or parts[1] not in KINDS:
                raise SystemExit(f"{path}: line {number}: expected tags<TAB>kind<TAB>text with kind in {KINDS}")
            tags = frozenset() if parts[0] == "-" else frozenset(parts[0].split(","))
            if not tags <= set(TAGS):
                raise SystemExit(f"{path}: line {number}: unknown tag in {parts[0]!r}")
            out.append(Sentence(lang=path.stem, tags=tags, kind=parts[1], text=parts[2].strip()))
    return out


def fit_logistic(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int, y: np.ndarray,
                 epochs: int = 300, lr: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """L2 logistic regression per column of y on a sparse COO matrix, full-batch Adam. Returns weights, bias."""
    dims = 1 << FEATURE_BITS
    k = y.shape[1]
    w: np.ndarray = np.zeros((dims, k), dtype=np.float64)
    b = np.log((y.mean(axis=0) + 1e-3) / (1 - y.mean(axis=0) + 1e-3))
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        z = np.stack([np.bincount(rows, weights=vals * w[cols, j], minlength=n) for j in range(k)], axis=1) + b
        err = (1 / (1 + np.exp(-z)) - y) / n
        g_w: np.ndarray = np.stack([np.bincount(cols, weights=vals * err[rows, j], minlength=dims)
                                    for j in range(k)], axis=1) + L2 * w
        g_b = err.sum(axis=0)
        for param, grad, m, v in ((w, g_w, m_w, v_w), (b, g_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return w, b


def sparse_matrix(sentences: Sequence[Sentence]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, sentence in enumerate(sentences):
        forms = [word_form(w, sentence.lang) for w in tokens(sentence.text)]
        buckets, scale = passage_features(forms)
        rows += [i] * len(buckets)
        cols += buckets
        vals += [scale] * len(buckets)
    return np.array(rows), np.array(cols), np.array(vals)


def labels(sentences: Sequence[Sentence]) -> np.ndarray:
    return np.array([[1.0 if tag in s.tags else 0.0 for tag in TAGS] for s in sentences])


def train_passages(sentences: Sequence[Sentence]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols, vals = sparse_matrix(sentences)
    return fit_logistic(rows, cols, vals, len(sentences), labels(sentences))


def folds_of(sentences: Sequence[Sentence], rng: random.Random) -> list[int]:
    """Fold per sentence, stratified by language, kind and tags so every fold can compose every article kind."""
    groups: dict[tuple[str, str, frozenset[str]], list[int]] = {}
    for i, s in enumerate(sentences):
        groups.setdefault((s.lang, s.kind, s.tags), []).append(i)
    fold = [0] * len(sentences)
    offset = 0
    for key in sorted(groups, key=lambda k: (k[0], k[1], sorted(k[2]))):
        members = groups[key]
        rng.shuffle(members)
        for j, i in enumerate(members):
            fold[i] = (j + offset) % FOLDS
        offset += len(members)
    return fold


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    sentences = read_sentences()
    print(f"{len(sentences)} training sentences: " + ", ".join(
        f"{lang} {sum(s.lang == lang for s in sentences)}" for lang in sorted({s.lang for s in sentences})))
    fold = folds_of(sentences, random.Random(args.seed))
    predicted = np.zeros((len(sentences), len(TAGS)))
    for k in range(FOLDS):
        train = [s for s, f in zip(sentences, fold, strict=True) if f != k]
        held = [i for i, f in enumerate(fold) if f == k]
        weights, bias = train_passages(train)
        rows, cols, vals = sparse_matrix([sentences[i] for i in held])
        z = np.stack([np.bincount(rows, weights=vals * weights[cols, j], minlength=len(held))
                      for j in range(len(TAGS))], axis=1) + bias
        predicted[held] = z > 0
    gold = labels(sentences)
    for j, tag in enumerate(TAGS):
        tp = float((predicted[:, j] * gold[:, j]).sum())
        print(f"cross-validated sentences {tag:<15} precision {tp / max(predicted[:, j].sum(), 1):.2f}  "
              f"recall {tp / max(gold[:, j].sum(), 1):.2f}  ({int(gold[:, j].sum())} on the topic)")
    weights, bias = train_passages(sentences)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_model(args.out, weights.astype("<f4").tobytes(), bias.tolist())
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
