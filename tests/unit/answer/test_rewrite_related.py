from calanque.answer.labels import machine_label, visible_label
from calanque.answer.language import question_language
from calanque.answer.passages import Passage
from calanque.answer.related import related_questions
from calanque.answer.rewrite import rewrite_extractive, rewrite_with_llm
from calanque.llm.scripted import ScriptedLLM


def test_question_language_on_short_questions() -> None:
    assert question_language("et pour Ubuntu ?") == "fr"
    assert question_language("how do I remove it?") == "en"
    assert question_language("Où est le fichier sources.list ?") == "fr"
    assert question_language("Which port does sshd use?") == "en"


def test_follow_up_carries_the_previous_key_terms() -> None:
    history = [("Comment installer un paquet avec apt ?", "…")]
    rewritten = rewrite_extractive("et pour Ubuntu ?", history, "fr")
    assert rewritten == "et pour Ubuntu installer paquet apt ?"


def test_pronoun_follow_up_keeps_the_object_not_the_old_action() -> None:
    history = [("How do I install nginx?", "…")]
    assert rewrite_extractive("how do I remove it?", history, "en") == "how do I remove it nginx?"


def test_standalone_questions_are_left_alone() -> None:
    history = [("How do I install nginx?", "…")]
    question = "Which file configures the OpenSSH server daemon?"
    assert rewrite_extractive(question, history, "en") == question
    assert rewrite_extractive("et pour Ubuntu ?", [], "fr") == "et pour Ubuntu ?"


def test_a_pronoun_finds_the_person_the_previous_answer_named() -> None:
    history = [
        (
            "Who wrote the novel Germinal?",
            "According to the sources: Germinal is a novel by the French author Émile Zola. [1]",
        )
    ]
    rewritten = rewrite_extractive("When was he born?", history, "en")
    assert "Émile Zola" in rewritten and "germinal" in rewritten.lower()


def test_the_subject_survives_two_follow_ups() -> None:
    history = [
        ("Qui a fondé la ville de Marseille ?", "D'après les sources : des marins grecs. [1]"),
        ("Et en quelle année ?", "D'après les sources : vers 600 av. J.-C. [1]"),
    ]
    rewritten = rewrite_extractive("Combien d'habitants compte-t-elle ?", history, "fr")
    assert "Marseille" in rewritten


def test_the_noun_an_earlier_question_asked_for_refers_to_its_answer() -> None:
    history = [
        (
            "Which band recorded the album Abbey Road?",
            "According to the sources: Abbey Road is the eleventh album by the Beatles. [1]",
        )
    ]
    rewritten = rewrite_extractive("Who was the drummer of the band in 1969?", history, "en")
    assert "Beatles" in rewritten


def test_a_new_subject_or_a_definition_question_stands_alone() -> None:
    history = [("Quand est né Ivan le Terrible ?", "D'après les sources : en 1530. [1]")]
    assert rewrite_extractive("Qu'est-ce que l'haltérophilie ?", history, "fr") == (
        "Qu'est-ce que l'haltérophilie ?"
    )
    question = "Autre chose : comment marquer un paquet pour qu'il soit retiré ?"
    assert rewrite_extractive(question, history, "fr") == question


def test_generative_rewrite_asks_the_model_and_falls_back() -> None:
    history = [("How do I install nginx?", "Run apt install nginx [1].")]
    llm = ScriptedLLM(['"How do I remove nginx?"\n', ""])
    assert rewrite_with_llm(llm, "how do I remove it?", history, "en") == "How do I remove nginx?"
    assert "how do I remove it?" in llm.calls[0][-1]["content"]
    assert (
        rewrite_with_llm(llm, "how do I remove it?", history, "en") == "how do I remove it nginx?"
    )


def passage(n: int, heading: str, language: str, title: str = "Doc") -> Passage:
    return Passage(
        n, f"https://d.example/{n}", title, "text", 0, heading=heading, language=language
    )


def test_related_questions_in_the_question_language() -> None:
    passages = [
        passage(1, "Doc > 2.1. Installer un paquet", "fr"),
        passage(2, "Doc > Les dépôts", "fr"),
        passage(3, "Doc > Configuring SSH", "en"),
        passage(4, "Doc > Mise à jour", "fr"),
    ]
    related = related_questions("Comment installer un paquet ?", passages, "fr")
    assert related == [
        "Qu'est-ce que les dépôts ?",
        "Que disent les sources sur « Configuring SSH » ?",
        "Qu'est-ce que Mise à jour ?",
    ]
    english = related_questions(
        "What is APT?",
        [passage(1, "Installing packages", "en"), passage(2, "Repositories", "en")],
        "en",
    )
    assert english[:2] == ["How do I go about installing packages?", "What is Repositories?"]


def test_labels() -> None:
    assert visible_label("fr") == "Réponse générée par IA"
    assert (
        visible_label("en", "openai", "mistral-small")
        == "AI-generated answer (openai · mistral-small)"
    )
    assert machine_label("extractive") == {
        "ai_generated": True,
        "writer": "extractive",
        "model": "",
    }
