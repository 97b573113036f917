"""How often the rule grader (`tutor.grade`) agrees with labelled verdicts.

Two labelled sets of answers to keys from the study material (one JSON object a line:
answer, key, kind, options?, correct, category):

  benchmarks/data/grading_heldout.jsonl   written first and never tuned on
  benchmarks/data/grading_dev.jsonl       the cases the rules were developed against

Categories: negation, hedge, near-miss (another term), acronym (acronym/expansion), form
(case, plural, article, hyphen, head noun), typo, paraphrase (short answers, judged with
the real packaged embedding model), mc/tf. The glossary is built from corpus/*.md and
corpus/topics.toml, as the app builds it from the indexed chunks.

Prints accuracy per category for each set, then every failure with the grader's reason.

Usage: python benchmarks/grading_eval.py [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from _common import BENCH_DIR, CORPUS_DIR, TOPICS_FILE, format_table, load_embedder

from tutor.corpus.glossary import Glossary
from tutor.corpus.topics import load_topics
from tutor.quiz.grading import grade

SETS = {
    "dev": BENCH_DIR / "data" / "grading_dev.jsonl",
    "held-out": BENCH_DIR / "data" / "grading_heldout.jsonl",
}


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS_DIR.glob("*.md"))]
    glossary = Glossary.build(texts, load_topics(TOPICS_FILE))
    embed = load_embedder().embed
    figures: dict[str, dict[str, list[int]]] = {}
    failures: list[tuple[str, dict, str]] = []
    for name, path in SETS.items():
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for case in load_cases(path):
            got = grade(
                case["answer"],
                case["key"],
                kind=case["kind"],
                options=case.get("options"),
                embed=embed,
                glossary=glossary,
            )
            ok = got.correct == case["correct"]
            for category in (case["category"], "all"):
                per[category][0] += ok
                per[category][1] += 1
            if not ok:
                failures.append((name, case, got.reason))
        figures[name] = dict(per)
    if args.json:
        print(json.dumps({k: {c: r / t for c, (r, t) in v.items()} for k, v in figures.items()}))
        return
    categories = [*sorted({c for v in figures.values() for c in v} - {"all"}), "all"]
    rows = []
    for category in categories:
        row = [category]
        for name in SETS:
            right, total = figures[name].get(category, [0, 0])
            row.append(f"{right}/{total} ({right / total:.0%})" if total else "-")
        rows.append(row)
    print(format_table(["category", *SETS], rows))
    print(f"\nfailures ({len(failures)}):")
    for name, case, reason in failures:
        expected = "right" if case["correct"] else "wrong"
        print(
            f"  [{name}] {case['category']}: {case['answer']!r} for {case['key']!r} "
            f"should be {expected}; got: {reason}"
        )


if __name__ == "__main__":
    main()
