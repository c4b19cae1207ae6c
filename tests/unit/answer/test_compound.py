"""A question that asks several things is split, searched and answered part by part."""

import pytest

from calanque.answer.compound import question_parts
from calanque.answer.engine import AnswerEngine, _interleave, standalone_parts, unanswered_part
from calanque.answer.extractive import AbstentionPolicy, ExtractiveWriter
from calanque.answer.vectors import SentenceVectorStore
from calanque.config import AnswerSettings
from calanque.types import Hit

from .conftest import Corpus, WordEmbedder
from .test_engine import FAKE_SUPPORT


@pytest.mark.parametrize(
    ("question", "language", "parts"),
    [
        (
            "I want HTTPS: which tool gets me a certificate, and how do I enable the SSL module?",
            "en",
            ["I want HTTPS: which tool gets me a certificate?", "how do I enable the SSL module?"],
        ),
        (
            "Quel outil la FAQ conseille-t-elle, et sur quelle plateforme le guide fait-il "
            "signaler les bogues ?",
            "fr",
            [
                "Quel outil la FAQ conseille-t-elle ?",
                "sur quelle plateforme le guide fait-il signaler les bogues ?",
            ],
        ),
        (
            "Who was leading Debian when Woody came out, and until when did he hold the post?",
            "en",
            ["Who was leading Debian when Woody came out?", "until when did he hold the post?"],
        ),
        (
            "What does apt do? And what does dpkg do?",
            "en",
            ["What does apt do?", "what does dpkg do?"],
        ),
        ("Où est le fichier des dépôts et que contient-il ?", "fr", None),
        (
            "Which tool gets me a certificate, and also how do I enable the SSL module?",
            "en",
            ["Which tool gets me a certificate?", "how do I enable the SSL module?"],
        ),
        (
            "Quelle est la taille de l'archive et où est-elle stockée ?",
            "fr",
            ["Quelle est la taille de l'archive ?", "où est-elle stockée ?"],
        ),
        (
            "Which package provides sendmail and which does the Exim team maintain?",
            "en",
            ["Which package provides sendmail?", "which does the Exim team maintain?"],
        ),
        # after a comma, a second question that asks yes or no
        (
            "Combien coûte la location d'un paddle, et faut-il porter un gilet ?",
            "fr",
            ["Combien coûte la location d'un paddle ?", "faut-il porter un gilet ?"],
        ),
        (
            "How much does a paddle board cost to rent, and do I need a life jacket?",
            "en",
            ["How much does a paddle board cost to rent?", "do I need a life jacket?"],
        ),
        # a short clause of its own between ", and" and the question word
        (
            "How do I make my script runnable on Unix, and once it runs, where do I find the "
            "words passed to it?",
            "en",
            [
                "How do I make my script runnable on Unix?",
                "once it runs, where do I find the words passed to it?",
            ],
        ),
        (
            "Comment rendre le script exécutable, et une fois le script lancé, où trouver ses "
            "arguments ?",
            "fr",
            [
                "Comment rendre le script exécutable ?",
                "une fois le script lancé, où trouver ses arguments ?",
            ],
        ),
        # the clause set apart by commas on both sides
        (
            "Quelle commande lance-t-on après apt update, et, d'après le manuel d'aptitude, "
            "quels programmes reposent sur apt ?",
            "fr",
            [
                "Quelle commande lance-t-on après apt update ?",
                "d'après le manuel d'aptitude, quels programmes reposent sur apt ?",
            ],
        ),
        (
            "Quel est le prix d'un repas, et est-ce que le paiement en ligne est possible ?",
            "fr",
            [
                "Quel est le prix d'un repas ?",
                "est-ce que le paiement en ligne est possible ?",
            ],
        ),
    ],
)
def test_a_question_asking_several_things_is_split(
    question: str, language: str, parts: list[str] | None
) -> None:
    found = question_parts(question, language)
    if parts is None:
        assert found == ["Où est le fichier des dépôts ?", "que contient-il ?"]
    else:
        assert found == parts


@pytest.mark.parametrize(
    "question",
    [
        "How and why does the resolver pick a version?",  # one clause, two question words
        "What is the golden ratio and when?",  # "when?" alone is no question to search
        "Which is older: the Adventist Church or Rastafari?",  # "or" opens no question word
        "Qui est né en premier : le sculpteur ou le dictateur ?",
        "Faut-il installer le paquet sur le serveur ou sur chaque poste ?",
        "Which file lists the APT sources and the mirrors?",
        "Is it free? Why?",
        "Comment installer un paquet ?",
        # a bare conjunction before a relative or a subordinate clause splits nothing
        "Comment vérifier qu'un paquet est installé et que sa version est à jour ?",
        "What is the package that provides sendmail and which is maintained by the Exim team?",
        "What happens to my config files when I remove a package and when I purge it?",
        "Does the service restart on upgrade or when the configuration file changes?",
        "What is the difference between apt and what dpkg does on its own?",
        # a bare "and" before an auxiliary, or an "and is it" too short to stand alone
        "What is a mirror and is it fast?",
        "Which packages, and is there a way to list them?",
        # a clause before the question word, without a comma before the conjunction
        "Which file lists the sources and when it changes, how is it read?",
    ],
)
def test_a_question_asking_one_thing_is_not_split(question: str) -> None:
    assert question_parts(question, "en") == [question]


def test_a_later_part_that_points_back_carries_the_first_parts_words() -> None:
    asked = question_parts("Où est la liste des dépôts APT et que contient-elle ?", "fr")
    first, second = standalone_parts(asked, [], "fr")
    assert first == "Où est la liste des dépôts APT ?"
    assert "dépôts" in second and "contient" in second


def test_a_part_naming_its_own_subject_carries_nothing() -> None:
    asked = question_parts("Who founded the Debian project, and who founded Ubuntu?", "en")
    assert standalone_parts(asked, [], "en") == [
        "Who founded the Debian project?",
        "who founded Ubuntu?",
    ]


def test_a_part_too_short_to_stand_alone_carries_the_first_parts_words() -> None:
    asked = question_parts(
        "Is there a web interface to manage printers, and at what address?", "en"
    )
    first, second = standalone_parts(asked, [], "en")
    assert second.startswith("at what address") and "printers" in second


def test_a_compound_follow_up_keeps_the_conversation_in_its_first_part() -> None:
    """Split first, then rewritten: the conversation's subject goes to the part that points
    to it, not to the end of the whole question (the last part)."""
    history = [("How do I configure the SSH server?", "…")]
    asked = question_parts(
        "Which port does it use, and how much does an Oracle licence cost?", "en"
    )
    first, second = standalone_parts(asked, history, "en")
    assert "ssh" in first.lower() and "ssh" not in second.lower()


def test_hits_alternate_between_the_parts() -> None:
    def hit(n: int) -> Hit:
        return Hit(n, n, f"https://x.example/{n}", "", "", "", 1.0, "en")

    lists = [[hit(1), hit(2), hit(3)], [hit(4)], [hit(5), hit(6)]]
    assert [h.chunk_id for h in _interleave(lists)] == [1, 4, 5, 2, 6, 3]


def engine(corpus: Corpus, embedder: WordEmbedder) -> AnswerEngine:
    store = SentenceVectorStore()
    policy = AbstentionPolicy(dense_floor=0.3, cross_lingual_dense=0.5, coverage_weak=0.4)
    writer = ExtractiveWriter(embedder, store, 3, policy)
    settings = AnswerSettings(passages=2)
    return AnswerEngine(
        corpus, corpus, embedder, settings, writer, store=store, support=FAKE_SUPPORT
    )


def test_each_part_is_searched_and_answered(corpus: Corpus, embedder: WordEmbedder) -> None:
    corpus.add(
        3,
        "https://doc.example/sources.html",
        "APT sources",
        ["The APT sources are listed in the file /etc/apt/sources.list, one per line."],
        "en",
    )
    question = "Which port does the SSH server use, and which file lists the APT sources?"
    answer = engine(corpus, embedder).answer(question)
    assert answer.answered
    assert "/etc/apt/sources.list" in answer.answer and "port 22" in answer.answer
    assert corpus.searches[1:3] == [
        "Which port does the SSH server use?",
        "which file lists the APT sources?",
    ]  # then the whole question's gloss, in French
    urls = {c.url for c in answer.citations}
    assert urls == {"https://doc.example/sources.html", "https://doc.example/ssh.html"}
    assert answer.warnings == []


def test_a_part_the_sources_do_not_answer_is_named(corpus: Corpus, embedder: WordEmbedder) -> None:
    question = "Which port does the SSH server use, and how much does it cost for Oracle?"
    answer = engine(corpus, embedder).answer(question)
    assert answer.answered and "port 22" in answer.answer
    assert "Oracle" not in answer.answer
    # named in the asker's words, not as rewritten for the search
    assert answer.warnings == [unanswered_part("how much does it cost for Oracle?", "en")]


def test_an_abstention_names_no_part(corpus: Corpus, embedder: WordEmbedder) -> None:
    question = "How much does an Oracle licence cost, and how much does a Windows licence cost?"
    answer = engine(corpus, embedder).answer(question)
    assert not answer.answered and answer.warnings == []


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        # the review's: "do the same" orders, it asks nothing
        ("How do I list the files in /etc, and do the same for /var?", None),
        (
            "Combien coûte la salle, et dois-je verser une caution ?",
            ["Combien coûte la salle ?", "dois-je verser une caution ?"],
        ),
        (
            "Combien coûte la salle, et y a-t-il une caution ?",
            ["Combien coûte la salle ?", "y a-t-il une caution ?"],
        ),
    ],
)
def test_a_yes_or_no_part_opens_with_its_subject_inverted(
    question: str, parts: list[str] | None
) -> None:
    language = "en" if question.startswith("How") else "fr"
    assert question_parts(question, language) == (parts or [question])
