"""Answer: cited answers whose every citation is verified (docs/architecture.md step 9).

The extractive writer (default) quotes sentences of the retrieved passages; the
generative writers prompt a chat model. Either way :mod:`calanque.answer.verify`
checks each cited sentence against its passage before the answer is returned.
"""

from calanque.answer.citations import CitedSentence, parse_citations, text_fragment_url
from calanque.answer.engine import (
    AnswerEngine,
    AnswerEvent,
    AnswerWriter,
    GenerativeWriter,
)
from calanque.answer.extractive import ExtractiveWriter
from calanque.answer.labels import machine_label, visible_label
from calanque.answer.language import question_language
from calanque.answer.passages import Passage, build_passages
from calanque.answer.prompt import build_messages
from calanque.answer.related import related_questions
from calanque.answer.rewrite import rewrite_extractive, rewrite_with_llm
from calanque.answer.sentences import Span, split_sentences
from calanque.answer.vectors import SentenceVectorStore, precompute_sentence_vectors
from calanque.answer.verify import CitationVerifier, Verification

__all__ = [
    "AnswerEngine",
    "AnswerEvent",
    "AnswerWriter",
    "CitationVerifier",
    "CitedSentence",
    "ExtractiveWriter",
    "GenerativeWriter",
    "Passage",
    "SentenceVectorStore",
    "Span",
    "Verification",
    "build_messages",
    "build_passages",
    "machine_label",
    "parse_citations",
    "precompute_sentence_vectors",
    "question_language",
    "related_questions",
    "rewrite_extractive",
    "rewrite_with_llm",
    "split_sentences",
    "text_fragment_url",
    "visible_label",
]
