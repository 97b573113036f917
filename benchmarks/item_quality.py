"""Offline item quality: how many questions the bank offers per topic and kind, what the
item-writing flaw checker rejects, and a random sample for a person to read.

Builds the bank as the quiz does (`graphs.context.TutorContext._build_bank`): the project
corpus indexed into a temporary data dir, every chunk of the catalog, the real MiniLM.
Then asks every passage for every question of each kind (mc, tf, short, cloze) and prints

- per kind: questions built, the share the flaw checker rejected, and by which flaw;
- per topic: usable questions of each kind (`QuestionBank.kind_counts`);
- a random sample of `--sample` items (fixed `--seed`): stem, options, key, and the
  sentence of the material it comes from, to read as a learner would.

    .venv/bin/python benchmarks/item_quality.py [--seed 13] [--sample 30] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import load_embedder, make_settings, temp_dir
from tutor.corpus.catalog import Catalog
from tutor.corpus.index import Indexer
from tutor.corpus.sentences import CachedEmbed
from tutor.corpus.topics import load_topics
from tutor.quiz.bank import KINDS, QuestionBank
from tutor.quiz.questions import Question


def build_bank(data_dir: Path, embedder) -> QuestionBank:
    settings = make_settings(data_dir)
    if not settings.catalog_path.exists():
        Indexer(settings, embedder).run()
    catalog = Catalog.open_for_reading(settings.catalog_path)
    assert catalog is not None
    try:
        records = catalog.records(catalog.chunk_ids())
    finally:
        catalog.close()
    embed = CachedEmbed(embedder.embed, size=20_000)
    return QuestionBank.build(records.values(), load_topics(settings.topics_path), embed)


def every_item(bank: QuestionBank) -> list[Question]:
    items: list[Question] = []
    for kind in KINDS:
        rng = Random(0)
        for chunk_id in sorted(bank.materials):
            items += bank.questions_for(chunk_id, kind, rng)
    return items


def show(n: int, q: Question) -> str:
    lines = [f"{n:2d}. [{q.kind} · {q.topic}] {q.prompt}"]
    for letter, option in zip("ABCD", q.options if q.kind == "mc" else [], strict=False):
        lines.append(f"      {letter}) {option}")
    lines.append(f"      key: {q.answer}")
    lines.append(f"      why: {q.explanation}")
    return "\n".join(lines)


def report(bank: QuestionBank, items: list[Question], seed: int, size: int) -> None:
    print(f"items built and passed: {len(items)}")
    print("\nper kind: built, rejected by the flaw checker (share), flaws")
    for kind in KINDS:
        rejected = sum(bank.rejections[kind].values())
        built = bank.accepted[kind] + rejected
        share = rejected / built if built else 0.0
        flaws = ", ".join(f"{f} {c}" for f, c in bank.rejections[kind].most_common())
        print(f"  {kind:6s} {built:4d} built  {rejected:4d} rejected ({share:.0%})  {flaws}")
    print("\nrejected, a few examples per flaw:")
    for flaw, prompts in sorted(bank.rejected_examples.items()):
        for prompt in prompts[:3]:
            print(f"  {flaw}: {prompt.splitlines()[0]}")
    print("\nper topic: usable items per kind (mc tf short cloze)")
    counts = bank.kind_counts()
    topics = bank.topics.ids() if bank.topics else sorted(counts)
    for topic in topics:
        row = counts.get(topic, dict.fromkeys(KINDS, 0))
        cells = " ".join(f"{row[k]:4d}" for k in KINDS)
        thin = "  (under 5 of some kind)" if min(row.values()) < 5 else ""
        print(f"  {topic:34s}{cells}{thin}")
    distinct = list({(q.kind, q.prompt): q for q in items}.values())
    sample = Random(seed).sample(distinct, min(size, len(distinct)))
    print(f"\nsample of {len(sample)} (seed {seed}):\n")
    for n, q in enumerate(sample, start=1):
        print(show(n, q))
        print()
    print("kinds in the sample:", dict(Counter(q.kind for q in sample)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, help="an indexed data dir to reuse")
    args = parser.parse_args()
    embedder = load_embedder()
    if args.data_dir is not None:
        bank = build_bank(args.data_dir, embedder)
        report(bank, every_item(bank), args.seed, args.sample)
        return
    with temp_dir("items") as tmp:
        bank = build_bank(tmp / "data", embedder)
        report(bank, every_item(bank), args.seed, args.sample)


if __name__ == "__main__":
    main()
