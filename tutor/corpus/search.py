"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank,
the query widened with its terms' other names, then the head re-ranked by the passages'
best sentence and by whether they define what is asked (or by a cross-encoder on disk)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.config import Settings
from tutor.corpus.catalog import Catalog, ChunkRecord
from tutor.corpus.dense import DenseSearch
from tutor.corpus.embeddings import Embedder
from tutor.corpus.glossary import Glossary
from tutor.corpus.query import QueryTerms, defines, query_terms
from tutor.corpus.reranker import Reranker
from tutor.corpus.sentences import CachedEmbed, reading_texts, readings, split_sentences
from tutor.corpus.vectors import VectorStore
from tutor.errors import EmptyIndexError, IndexMismatchError, TutorError
from tutor.text import citation

log = logging.getLogger(__name__)

CANDIDATES = 40
"""How deep each ranking is read before fusing."""
RRF_K = 60
"""The usual reciprocal-rank constant: damps the difference between the top few ranks."""
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
ALSO = 0.5
"""The weight of each ranking for another wording of the query (the learner's own words
lead)."""
RERANK_DEPTH = 20
"""How many of the fused passages are re-ranked by what they say."""
# The re-ranking score's parts. Similarities are cosines (about 0.2-0.8 for passages on
# the subject); weights chosen on the tuning questions (benchmarks/retrieval_eval.py).
SENTENCE_WEIGHT = 1.0
"""The passage's best sentence's similarity to the question."""
PASSAGE_WEIGHT = 1.0
"""The whole passage's similarity (the best of the question's wordings)."""
DEFINES_WEIGHT = 0.3
"""For a passage that defines the asked term, when the question asks what it is: enough
to lead over passages whose one striking sentence mentions it ("The lakehouse is not a
metaphorical abstraction"), as a definition often sits in a long sentence about more."""
FUSED_WEIGHT = 0.1
"""The fused score relative to the best: where meaning and words agreed."""
MIN_SENTENCE_WORDS = 4
MIN_SIMILARITY = 0.18
"""A passage less similar than this to the query is not returned, unless it shares words
with it. Questions about the material score 0.2-0.7 for their best passage."""
MIN_SIMILARITY_WITH_WORDS = 0.10
"""The floor for passages that also match the query's words (BM25)."""
COVERED_SIMILARITY = 0.24
"""A question counts as covered by the material only if its best passage is at least this
similar (or `COVERED_SIMILARITY_WITH_WORDS` when it also shares words); otherwise nothing is
returned and the tutor says the material does not cover it. Calibrated with
benchmarks/coverage_eval.py: the 54 questions about the material stay covered for any
value from 0.18 to 0.30, so it sits mid-range."""
COVERED_SIMILARITY_WITH_WORDS = 0.18
"""The deciding floor: at 0.15 "learn to play the guitar" is still covered (1 of 25
off-topic questions), at 0.21 "do exam questions stick to one topic each?" is not (1 of
54 on-topic ones)."""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what is needed to cite it."""

    rank: int
    chunk_id: str
    text: str
    source: str
    heading: str
    span: tuple[int, int]
    span_unit: str
    topics: list[str]
    score: float
    """The fused score (higher is better); comparable within one query only."""
    similarity: float
    """Cosine similarity of the query and the chunk (0 when found by words alone)."""

    @property
    def citation(self) -> str:
        return citation(self.source, self.heading, self.span, self.span_unit)

    def to_dict(self) -> dict:
        data = {
            "rank": self.rank,
            "text": self.text,
            "source": self.source,
            "heading": self.heading,
            "lines": list(self.span) if self.span_unit == "lines" else None,
            "topics": self.topics,
            "score": round(self.score, 6),
        }
        if self.span_unit == "pages":
            data["pages"] = list(self.span)
        return data


def reciprocal_rank_fusion(
    rankings: list[tuple[list[str], float]], k: int = RRF_K
) -> list[tuple[str, float]]:
    """Fuse ranked id lists, each with a weight, into one ranking (best first)."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridRetriever:
    """Answers queries from one data dir's index; open once, query many times."""

    def __init__(
        self,
        catalog: Catalog,
        vectors: VectorStore,
        embedder: Embedder,
    ) -> None:
        self.catalog = catalog
        self.vectors = vectors
        self.embedder = embedder
        self.dense = DenseSearch(vectors)
        self.sentence_embed = CachedEmbed(embedder.embed)
        """Sentence vectors, remembered: the re-ranking and offline answers share them."""
        self._glossary: tuple[object, Glossary] | None = None
        self.reranker: Reranker | None = None
        """A cross-encoder that orders the best passages instead of their sentences
        (`use_reranker`)."""
        self.reranker_error: str | None = None
        """Why the configured cross-encoder is not in use (it failed to load)."""
        self._reranker_path: Path | None = None

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> HybridRetriever:
        catalog = Catalog.open_for_reading(settings.catalog_path)
        if catalog is None or catalog.count_chunks() == 0:
            raise EmptyIndexError("the index is empty: run `tutor index` first")
        built_with = catalog.get_meta("embedding_model")
        if built_with != settings.embedding_model:
            raise IndexMismatchError(built_with, settings.embedding_model)
        vectors = VectorStore(settings, create=False)
        retriever = cls(catalog, vectors, embedder or Embedder.for_settings(settings))
        retriever.use_reranker(settings.reranker)
        return retriever

    def use_reranker(self, path: Path | None) -> None:
        """Order the best passages with the cross-encoder in the folder `path` from the next
        search on (None: by their sentences). Setting the same folder again changes nothing,
        so one that failed to load is not tried again every turn."""
        wanted = Path(path).expanduser() if path else None
        if wanted == self._reranker_path:
            return
        self._reranker_path = wanted
        self.reranker = Reranker(wanted) if wanted is not None else None
        self.reranker_error = None

    def close(self) -> None:
        self.catalog.close()

    def glossary(self) -> Glossary:
        """The material's terms and acronyms with the field's, rebuilt when the index
        changes (what query expansion knows)."""
        version = self.catalog.vector_version()
        if self._glossary is None or self._glossary[0] != version:
            records = self.catalog.records(self.catalog.chunk_ids()).values()
            self._glossary = (version, Glossary.from_records(records))
        return self._glossary[1]

    def search(self, query: str, k: int = 5, also: Sequence[str] = ()) -> list[Passage]:
        """The k best passages for a free-text query; [] when nothing matches.

        `also`: other wordings of the query (a model's search queries), searched beside it
        at a lower weight and counted among its wordings when passages are judged."""
        query = " ".join(query.split())
        if not query or k <= 0:
            return []
        depth = max(CANDIDATES, k)
        version = self.catalog.vector_version()
        terms = query_terms(query, self.glossary())
        own = [query]
        if terms.other_names:  # "RAG pipeline" also as "retrieval-augmented generation"
            own.append(terms.expanded(query))
        also = list(dict.fromkeys(" ".join(q.split()) for q in also if q.strip()))
        vectors = list(self.embedder.embed_queries(own + also))  # one batch: one model call
        wordings, others = vectors[: len(own)], vectors[len(own) :]
        rankings = [
            ([i for i, _ in self.dense.nearest(v, depth, version)], DENSE_WEIGHT) for v in wordings
        ]
        lexical = self.catalog.lexical_search(terms.expanded(query), depth)
        rankings.append((lexical, LEXICAL_WEIGHT))
        worded = set(lexical)
        for other, vector in zip(also, others, strict=True):
            rankings.append(([i for i, _ in self.dense.nearest(vector, depth, version)], ALSO))
            rankings.append((self.catalog.lexical_search(other, depth), ALSO))
            worded.update(rankings[-1][0])
        fused = reciprocal_rank_fusion(rankings)
        # Every passage is judged by its similarity to the question, however it was found:
        # to the best of its wordings, as MiniLM may not know an acronym the text spells
        # out, and a model's queries are there to bridge the learner's words and the
        # material's ("two rival networks" -> "generative adversarial network").
        wordings += others
        similarity = self.dense.similarities([i for i, _ in fused], *wordings)
        fused = [
            (i, score)
            for i, score in fused
            if similarity.get(i, 0.0)
            >= (MIN_SIMILARITY_WITH_WORDS if i in worded else MIN_SIMILARITY)
        ]
        # Equal fused scores (one passage first by meaning, the other by words): the more
        # similar first, then by id, so the order never depends on how the index was built.
        fused.sort(key=lambda p: (-round(p[1], 9), -round(similarity.get(p[0], 0.0), 6), p[0]))
        if not any(
            similarity.get(i, 0.0)
            >= (COVERED_SIMILARITY_WITH_WORDS if i in worded else COVERED_SIMILARITY)
            for i, _ in fused
        ):
            return []
        # Chroma may briefly hold vectors of chunks the catalog has dropped (an index run
        # in progress); only chunks the catalog knows are returned.
        records = self.catalog.records(i for i, _ in fused)
        known = [(i, score) for i, score in fused if i in records]
        if self._cross_encoder_ready():
            ranked = self._cross_encode(query, known, records)
        else:
            ranked = self._rerank(known, records, wordings, similarity, terms)
        return [
            _passage(rank, records[i], score, similarity.get(i, 0.0))
            for rank, (i, score) in enumerate(ranked[:k], start=1)
        ]

    def _rerank(
        self,
        fused: list[tuple[str, float]],
        records: dict[str, ChunkRecord],
        wordings: list[np.ndarray],
        similarity: dict[str, float],
        terms: QueryTerms,
    ) -> list[tuple[str, float]]:
        """The head of the fused ranking ordered by a score of what each passage says: its
        best sentence's similarity to the question (a paragraph that answers in one
        sentence among others on the subject is not diluted by them), the whole passage's,
        a little for defining an asked term, and a little for the fused order, which keeps
        the say of the word match behind it."""
        head, tail = fused[:RERANK_DEPTH], fused[RERANK_DEPTH:]
        if len(head) < 2:
            return fused
        ids = [i for i, _ in head]
        self._recall_sentences(ids, records)
        best = self._best_sentences([records[i].text for i in ids], wordings)
        top_fused = head[0][1] or 1.0
        defining = set()
        if terms.asked and terms.asks_what:
            defining = {i for i in ids if _defines_in(records[i].text, terms.asked)}
        scores = [
            SENTENCE_WEIGHT * best[n]
            + PASSAGE_WEIGHT * similarity.get(i, 0.0)
            + DEFINES_WEIGHT * (i in defining)
            + FUSED_WEIGHT * score / top_fused
            for n, (i, score) in enumerate(head)
        ]
        order = sorted(range(len(head)), key=lambda n: (-round(scores[n], 6), n))
        return [head[n] for n in order] + tail

    def _cross_encoder_ready(self) -> bool:
        """Whether a configured cross-encoder loads; a failure is kept to be reported,
        and search goes on with its own re-ranking."""
        if self.reranker is None:
            return False
        try:
            self.reranker.load()
        except TutorError as error:
            self.reranker, self.reranker_error = None, str(error)
            log.warning("%s", error)
            return False
        return True

    def _cross_encode(
        self, query: str, fused: list[tuple[str, float]], records: dict[str, ChunkRecord]
    ) -> list[tuple[str, float]]:
        """The head of the fused ranking in the cross-encoder's order (ties: fused order)."""
        assert self.reranker is not None
        head, tail = fused[:RERANK_DEPTH], fused[RERANK_DEPTH:]
        scores = self.reranker.scores(query, [records[i].text for i, _ in head])
        order = sorted(range(len(head)), key=lambda n: (-round(scores[n], 6), n))
        return [head[n] for n in order] + tail

    def _recall_sentences(self, ids: list[str], records: dict[str, ChunkRecord]) -> None:
        """Hand the sentence cache the index's vectors of these chunks' sentences, so a
        search (and the answer's highlights after it) embeds none of them."""
        for chunk_id, vectors in self.catalog.sentence_vectors(ids).items():
            texts = reading_texts(records[chunk_id].text)
            if len(texts) == len(vectors):  # else split by another version: embed anew
                self.sentence_embed.remember(texts, vectors)

    def _best_sentences(self, texts: list[str], wordings: list[np.ndarray]) -> list[float]:
        """Each passage's best sentence's similarity to the question; a sentence saying
        "it" counts read with the one before too."""
        groups = []
        for text in texts:
            found = [
                reading
                for sentence, read_with in readings(split_sentences(text))
                if len(sentence.split()) >= MIN_SENTENCE_WORDS
                for reading in (sentence, read_with)
                if reading
            ]
            groups.append(found or [text])
        vectors = self.sentence_embed([s for group in groups for s in group])
        scores = (vectors @ np.stack(wordings).T).max(axis=1)
        best, start = [], 0
        for group in groups:
            best.append(round(float(scores[start : start + len(group)].max()), 6))
            start += len(group)
        return best


def _defines_in(text: str, terms: tuple[str, ...]) -> bool:
    return any(defines(s, terms) for s in split_sentences(text))


def _passage(rank: int, record: ChunkRecord, score: float, similarity: float) -> Passage:
    return Passage(
        rank=rank,
        chunk_id=record.id,
        text=record.text,
        source=record.source,
        heading=record.heading,
        span=(record.span_start, record.span_end),
        span_unit=record.span_unit,
        topics=record.topics,
        score=score,
        similarity=similarity,
    )


def search(query: str, k: int = 5, *, settings: Settings | None = None) -> list[Passage]:
    """The k passages of the indexed material that best answer `query`, best first.

    Opens the index for this one query; to ask many, open a `HybridRetriever` once."""
    retriever = HybridRetriever.open(settings or Settings())
    try:
        return retriever.search(query, k)
    finally:
        retriever.close()
