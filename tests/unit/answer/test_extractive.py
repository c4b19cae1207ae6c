from collections.abc import Sequence
from dataclasses import replace

import pytest

from calanque.answer.answer_types import announces, points_elsewhere, refers_back
from calanque.answer.extractive import (
    SHOWN_LINES,
    AbstentionPolicy,
    Candidate,
    Evidence,
    ExtractiveWriter,
    SelectionWeights,
    _command_after,
    _defining,
    _evidence,
    _form_penalty,
    _runs_into_code,
    decide_answered,
    missing_names,
    question_intents,
    sentence_features,
)
from calanque.answer.language import key_terms
from calanque.answer.passages import Passage, build_passages
from calanque.answer.sentences import split_sentences
from calanque.answer.vectors import SentenceVectorStore, precompute_sentence_vectors
from calanque.types import Chunk, Hit

from .conftest import Corpus, WordEmbedder

# The bag-of-words fake embedder gives lower cosines than E5.
FAKE_POLICY = AbstentionPolicy(dense_floor=0.3, cross_lingual_dense=0.5, coverage_weak=0.4)


def writer(embedder: WordEmbedder) -> ExtractiveWriter:
    return ExtractiveWriter(embedder, SentenceVectorStore(), max_sentences=3, policy=FAKE_POLICY)


def passages_of(*texts: str, start: int = 0, language: str = "") -> list[Passage]:
    """One passage per text, split into sentences (the first at ``start``)."""
    passages = [
        Passage(n, f"https://d.example/{n}", f"Page {n}", text, start if n == 1 else 0)
        for n, text in enumerate(texts, start=1)
    ]
    return [
        replace(p, sentences=tuple(split_sentences(p.text, base=p.start)), language=language)
        for p in passages
    ]


def quoted(embedder: WordEmbedder, question: str, *texts: str, start: int = 0) -> list[str]:
    """The sentences the writer quotes from one passage per text (the first at ``start``)."""
    passages = passages_of(*texts, start=start)
    return [s.text for s in writer(embedder).write(question, "en", passages).sentences]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Comment installer un paquet ?", "procedure"),
        ("How do I create a user account?", "procedure"),
        ("Which file lists the repositories?", "path"),
        ("Où se trouve le fichier de configuration ?", "path"),
        ("Combien de paquets contient Debian 12 ?", "quantity"),
        ("How many islands make up the archipelago?", "quantity"),
        ("When was Debian 12 released?", "date"),
        ("En quelle année la ville a-t-elle été fondée ?", "date"),
        ("Qui a fondé le projet ?", "person"),
        ("Who wrote the novel?", "person"),
        ("Dans quel pays se trouve la ville ?", "place"),
        ("Where was she born?", "place"),
        ("Qu'est-ce qu'un paquet virtuel ?", "definition"),
        ("What is a mirror?", "definition"),
        ("Quelle commande affiche les règles ?", "command"),
        ("Which package provides the daemon?", "command"),
        # a program's parts, as programming manuals name them: answered by the name
        ("Which operator checks that a file is a symbolic link?", "command"),
        ("Quel opérateur teste si un fichier est plus récent qu'un autre ?", "command"),
        ("Quelle fonction remplace les valeurs négatives d'un vecteur ?", "command"),
        ("Which module keeps a cache of weak references?", "command"),
        ("Pourquoi faut-il signer les paquets ?", "reason"),
        ("Why are releases frozen?", "reason"),
    ],
)
def test_question_intents(question: str, expected: str) -> None:
    assert expected in question_intents(question)


def test_a_price_is_not_any_number() -> None:
    assert question_intents("Combien coûte le support de Debian ?") == {"price"}
    assert "price" in question_intents("How much does the subscription cost?")
    assert "definition" not in question_intents("What is the file that lists the mirrors?")


@pytest.mark.parametrize(
    "question",
    [
        "Quel était le nom de code de la version de Debian qui a introduit apt ?",
        "Quel démon complète cron pour les ordinateurs qui ne restent pas allumés ?",
        "De quelle langue vient le mot anglais « quack », qui désigne un charlatan ?",
        "Which package provides the daemon who answers power events?",
    ],
)
def test_a_relative_pronoun_does_not_ask_who(question: str) -> None:
    assert "person" not in question_intents(question)


@pytest.mark.parametrize(
    "question",
    [
        "Qui a fondé Debian ?",
        "Et qui dirigeait le projet à cette époque ?",
        "Par qui a-t-il été remplacé ?",
        "Dans quel fichier définit-on qui a le droit d'utiliser sudo ?",
        "What are the Debian Free Software Guidelines and who first proposed them?",
        "Besides Ian Murdock, who was in the initial group?",
        "I want to mirror the archive. Who should I get in touch with?",
        "Quand plusieurs paquets fournissent un programme, qui doit choisir celui par défaut ?",
    ],
)
def test_who_asks_where_a_question_starts(question: str) -> None:
    assert "person" in question_intents(question)


@pytest.mark.parametrize(
    "question",
    [
        "Quelle est la dernière version de zsh, et savez-vous quand elle est sortie ?",
        "Qui maintient zsh, sait-on quand la 5.9 est sortie ?",
        "Quand le gel a-t-il commencé ?",
    ],
)
def test_when_after_a_verb_of_knowing_asks_a_date(question: str) -> None:
    """Review: "quand" after an inverted verb with a question word before it opens a
    clause of time ("Quel code renvoie-t-il quand…"), but not after "savez-vous"."""
    assert "date" in question_intents(question)


@pytest.mark.parametrize(
    ("question", "not_asked"),
    [
        ("Where does systemd-journald keep its logs when persistent storage is used?", "date"),
        ("Où trouver le journal de Xorg quand le serveur X tourne sans les droits root ?", "date"),
        ("When I uninstall a program like foo, why is foo-data left behind?", "date"),
        ("Quel code de retour zsh renvoie-t-il quand une commande est introuvable ?", "date"),
        ("Comment s'appelle le répertoire où un paquet attend avant l'archive ?", "place"),
        ("Comment s'appelle le répertoire où un paquet attend avant l'archive ?", "procedure"),
        ("Comment s'appelait la femme d'Alberto Giacometti ?", "procedure"),
    ],
)
def test_a_conjunction_asks_no_date_and_a_name_no_procedure(question: str, not_asked: str) -> None:
    assert not_asked not in question_intents(question)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        (
            "Who was leading Debian when Woody came out, and until when did he hold the post?",
            "date",
        ),
        ("Quand le gel de Debian 9 a-t-il commencé ?", "date"),
        ("Et quand est-elle sortie ?", "date"),
        ("Où Victor Hugo est-il né ?", "place"),
        ("Une fois mon paquet envoyé, où dois-je déposer des captures d'écran ?", "place"),
        ("For a third-party repository, where should I store its key?", "place"),
        ("Comment installer Nextcloud sur un serveur Debian ?", "procedure"),
    ],
)
def test_when_and_where_ask_where_a_question_starts(question: str, asked: str) -> None:
    assert asked in question_intents(question)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Debian 12 est sortie quand ?", "date"),
        ("Le fichier sources.list se trouve où ?", "place"),
        ("C'est qui le DPL actuel ?", "person"),
        ("Savez-vous qui a fondé Debian ?", "person"),
        ("Tell me who founded Debian.", "person"),
        ("Any idea where the logs are stored?", "place"),
        ("When was Woody released, and who led Debian then?", "date"),
    ],
)
def test_review_questions_asked_last_or_embedded(question: str, asked: str) -> None:
    assert asked in question_intents(question)


@pytest.mark.parametrize(
    ("sentence", "when"),
    [
        # a time of day, a weekday or a recurrence answers "when" as a year does
        ("Le serveur est sauvegardé chaque nuit à 2 h du matin.", True),
        ("The backup runs at 02:00 on the NAS.", True),
        ("The shop opens at 9 a.m. and closes at 6 pm.", True),
        ("La réunion a lieu à 14h30.", True),
        ("Maintenance happens on the first Sunday of each month.", True),
        ("Les journaux sont archivés tous les mois.", True),
        ("Reports are sent weekly to the board.", True),
        # a duration or a version is no time of day
        ("La restauration dure 2 h.", False),
        ("Version 2.10 fixes the bug.", False),
    ],
)
def test_a_time_of_day_a_weekday_or_a_recurrence_answers_when(sentence: str, when: bool) -> None:
    assert ("date" in sentence_features(sentence)) is when


@pytest.mark.parametrize(
    "question",
    [
        "À quelle heure le serveur est-il sauvegardé ?",
        "What time does the backup start?",
        "How often are the backups made?",
        "Which day is the bin collected?",
    ],
)
def test_asking_the_time_or_how_often_asks_when(question: str) -> None:
    assert "date" in question_intents(question)


def test_a_preposition_before_when_makes_no_date() -> None:
    assert "date" not in question_intents(
        "What does systemd fall back to when the network is down?"
    )


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("After yanking text back, which key cycles to older kills?", "key"),
        ("Dans aptitude, quelle touche prépare la mise à jour du système ?", "key"),
        ("Quel raccourci Readline avance d'un mot ?", "key"),
        # a key's size is a number of bits, not a key to press
        ("What key size does my OpenPGP key need at minimum?", "quantity"),
        ("Which key sizes does GnuPG accept?", "quantity"),
        ("Quelle taille de clé faut-il pour une clé OpenPGP ?", "quantity"),
        # a longer word is no key (the review's: they came to ask for one)
        ("What keyword makes a variable local in a function?", ""),
        ("Which keyring package does APT trust by default?", ""),
    ],
)
def test_which_key_asks_for_a_key_unless_it_asks_its_size(question: str, asked: str) -> None:
    assert question_intents(question) & {"key", "quantity"} == ({asked} if asked else set())


@pytest.mark.parametrize(
    ("sentence", "key"),
    [
        ("M-y: Rotate the kill-ring, and yank the new top.", True),
        ("Press Ctrl + C, CTRL+ALT+F1 or C-x C-e.", True),
        ("Appuyez sur la touche Entrée pour valider.", True),
        ("Press the u key, then ^C to stop.", True),
        ("C-RET inserts a line.", True),
        # a name, a model, a word with a hyphen: no key
        ("C-3PO and M-16 are no keys, nor is an S-curve.", False),
        ("C++ is a language; meta-data and a Super-user are words.", False),
        ("Sign the upload with a key.", False),
    ],
)
def test_a_key_is_held_as_manuals_write_one(sentence: str, key: bool) -> None:
    assert ("key" in sentence_features(sentence)) is key


def test_a_year_is_not_an_amount() -> None:
    assert "quantity" not in sentence_features("Le projet a commencé en juin 2014.")
    assert "date" in sentence_features("Le projet a commencé en juin 2014.")
    for text in ("Squid listens on port 3128.", "It holds 5 years of support."):
        assert "quantity" in sentence_features(text), text
    # a version's number is no amount ("how much coverage…?" is not answered by "Python 2")
    for text in ("Version 1.20.9", "Once your code supports Python 2, aim for coverage."):
        assert "quantity" not in sentence_features(text), text
        assert "version" in sentence_features(text), text
    assert "quantity" in sentence_features("Debian 12 ships 64,000 packages.")
    assert "price" in sentence_features("The subscription costs 300 € a year.")
    assert "price" not in sentence_features("They would not do it gratuitement.")


@pytest.mark.parametrize(
    ("sentence", "amount"),
    [
        # a day of the month, a time of day, a manual page's section: no amount
        ("Children are registered for the canteen before 20 August.", False),
        ("Les inscriptions ouvrent le 1er avril à 9h00.", False),
        ("Registration opens on April 1st at 9:00.", False),
        ("You simply run uscan(1) in the old directory.", False),
        ("The freeze lasts from 20 to 25 August.", False),
        ("Le gel dure du 1er au 15 juillet.", False),
        ("The freeze runs August 20-25.", False),
        ("Registration closes on 20.08.2024.", False),
        ("Ouvert du lundi au samedi de 9h à 12h et de 14h à 18h.", False),
        # beside them, an amount still is one
        ("On 3 May 2019 the project had 500 developers.", True),
        ("Le 14 mars 2026, la restauration a duré 6 heures.", True),
        ("Groups are limited to 8 trainees per instructor.", True),
        # a duration, a ratio, a month word that is another word: amounts
        ("La sauvegarde dure 2h30.", True),
        ("La panne peut durer jusqu'à 48 h.", True),
        ("Tokens expire after a 24h period.", True),
        ("Use a 16:10 screen.", True),
        ("Up to 32 may be attached to one controller.", True),
        ("NASA has sent 5 Mars rovers.", True),
        ("In March 12 new packages were added.", True),
    ],
)
def test_a_date_or_a_time_of_day_is_not_an_amount(sentence: str, amount: bool) -> None:
    """ "How many children eat at the canteen?" was answered by a registration date: its day
    counted as an amount."""
    assert ("quantity" in sentence_features(sentence)) is amount


@pytest.mark.parametrize(
    ("sentence", "held"),
    [
        ("Ian Murdock founded the project in August 1993.", {"person", "date"}),
        ("La liste se trouve dans /etc/apt/sources.list.", {"path"}),
        ("Run apt-get install --no-install-recommends foo", {"command", "procedure"}),
        ("A mirror is a server that holds a copy of the archive.", {"definition"}),
        ("Releases are frozen because testing must stabilise.", {"reason"}),
        # whom to write to answers "qui contacter ?": a person or a team
        ("To propose co-maintainers, please contact maintainers@gnu.org.", {"person"}),
        ("Pour toute question, appelez le +33 1 23 45 67 89.", {"person"}),
        # a key as manuals write one answers "which key…?" (the Bash manual, aptitude)
        ("M-y: Rotate the kill-ring, and yank the new top.", {"key"}),
        ("Press Shift+u to prepare an upgrade of every package.", {"key"}),
        ("You do not have to be at the end of the line to press RET.", {"key"}),
        # a shell expansion is code: it answers "how do I…?" as a command line does
        ("${!name[*]} expands to the list of array indices assigned in name.", {"command"}),
        ("The equivalent but faster $(< file) replaces $(cat file).", {"procedure"}),
        # a LaTeX command is a command ("Quelle commande LaTeX…?" over a LaTeX package's manual)
        ("To differentiate between odd and even copies, use \\exemplairepair.", {"command"}),
    ],
)
def test_held_types(sentence: str, held: set[str]) -> None:
    assert held <= sentence_features(sentence)


@pytest.mark.parametrize(
    "line",
    [
        "dpkg-source: info: extracting samba in samba-4.13.13+dfsg",
        "gpg: key 6ED0E7B82643E131: public key imported",
        "E: Unable to locate package nginx-extras",
        "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]",
    ],
)
def test_a_line_a_program_printed_answers_nothing(line: str) -> None:
    """Console output quoted in a transcript is not the step to take (``$ apt source samba``)."""
    assert sentence_features(line) == frozenset()
    assert "command" in sentence_features("$ apt source samba")


@pytest.mark.parametrize(
    "sentence",
    [
        # a modal verb or a sequencing word is not an instruction
        "Si cela implique trop de mises à jour, on peut aussi recompiler le programme.",
        "Tous les bogues critiques seront corrigés, même si cela doit retarder la sortie.",
        "Then the project grew and the first release came out.",
        # a product name is not a command line
        "Les utilisateurs finaux, intéressés par la dernière version de GNOME ou de KDE, "
        "trouveront en Debian Testing un bon compromis.",
    ],
)
def test_a_procedure_is_an_instruction(sentence: str) -> None:
    assert "procedure" not in sentence_features(sentence)


def test_instructions_are_procedures() -> None:
    for text in (
        "Pour les mises à jour plus importantes, il faut utiliser apt full-upgrade.",
        "Lancez la commande dpkg-reconfigure slapd.",
        "You can enable the site with a2ensite.",
        # a command's name or a path is a step of a procedure, whatever the verb
        "The command apt update downloads the lists named in /etc/apt/sources.list.",
    ):
        assert "procedure" in sentence_features(text), text


def test_names_no_passage_mentions(corpus: Corpus) -> None:
    passages = build_passages(corpus.search("paquet installer", k=6), corpus)
    question = "How do I set up replication between two PostgreSQL servers on Debian?"
    assert missing_names(question, passages) == ("PostgreSQL",)
    assert missing_names("Which Debian tool installs a package?", passages) == ()
    # the first word is capitalised by position, not a name
    assert missing_names("Kubernetes", passages) == ()


def test_abstains_when_a_name_of_the_question_is_nowhere(
    corpus: Corpus, embedder: WordEmbedder
) -> None:
    question = "Comment installer un paquet avec Flatpak ?"
    passages = build_passages(corpus.search("Comment installer un paquet ?", k=6), corpus)
    draft = writer(embedder).write(question, "fr", passages)
    assert draft.evidence.missing_names == ("Flatpak",)
    assert not draft.answered


def test_picks_the_sentence_with_the_asked_command(corpus: Corpus, embedder: WordEmbedder) -> None:
    question = "Comment installer un paquet ?"
    passages = build_passages(corpus.search(question, k=6), corpus)
    draft = writer(embedder).write(question, "fr", passages)
    texts = [s.text for s in draft.sentences]
    assert "apt-get install nom-du-paquet" in texts
    assert draft.answered
    assert draft.lead == "D'après les sources :"
    # reading order: by passage number, then position in it
    assert [s.citations[0] for s in draft.sentences] == sorted(
        s.citations[0] for s in draft.sentences
    )


def test_abstains_when_key_terms_are_missing(corpus: Corpus, embedder: WordEmbedder) -> None:
    question = "Comment compiler le noyau Linux avec clang ?"
    passages = build_passages(corpus.search("paquet installer", k=6), corpus)
    draft = writer(embedder).write(question, "fr", passages)
    assert not draft.answered
    assert draft.evidence.coverage < 0.6


def test_says_when_quotes_are_in_the_other_language(corpus: Corpus, embedder: WordEmbedder) -> None:
    question = "Quel est le port du serveur SSH ?"
    passages = build_passages([corpus.hit(201), corpus.hit(202)], corpus)
    draft = writer(embedder).write(question, "fr", passages)
    assert draft.lead == "D'après les sources (sources en anglais) :"
    assert draft.sentences[0].text == "The OpenSSH server listens on port 22 by default."


def test_precomputed_vectors_are_not_embedded_again(corpus: Corpus, embedder: WordEmbedder) -> None:
    store = SentenceVectorStore()
    added = precompute_sentence_vectors(corpus.chunks.values(), embedder, store)
    assert added > 0
    assert precompute_sentence_vectors(corpus.chunks.values(), embedder, store) == 0
    before = embedder.passages_embedded
    passages = build_passages(corpus.search("installer paquet", k=6), corpus)
    ExtractiveWriter(embedder, store).write("Comment installer un paquet ?", "fr", passages)
    assert embedder.passages_embedded == before


def test_store_persists_on_disk(tmp_path, corpus: Corpus, embedder: WordEmbedder) -> None:  # type: ignore[no-untyped-def]
    store = SentenceVectorStore.in_folder(tmp_path)
    precompute_sentence_vectors([c.text for c in corpus.chunks.values()], embedder, store)
    store.close()
    again = SentenceVectorStore.in_folder(tmp_path)
    assert again.known(["APT est le gestionnaire de paquets de Debian."], embedder.name) == 1
    again.close()


def test_abstention_rules_on_evidence() -> None:
    strong = Evidence(
        coverage=0.8, best_dense=0.9, margin=0.08, cross_lingual=False, intent_met=True
    )
    assert decide_answered(strong)
    # a price question whose answer holds no amount of money, however well it covers the words
    assert not decide_answered(replace(strong, price_asked=True, intent_met=False))
    assert decide_answered(replace(strong, price_asked=True, intent_met=True))
    assert not decide_answered(replace(strong, missing_names=("PostgreSQL",)))
    # weak coverage: one sentence must cover a fifth of the key terms on its own
    weak = replace(strong, coverage=0.45, best_sentence_coverage=0.4)
    assert decide_answered(weak)
    assert not decide_answered(replace(weak, best_sentence_coverage=0.15))
    # ... unless the quotes are in the other language (words cannot match across languages)
    assert decide_answered(replace(weak, best_sentence_coverage=0.29, cross_lingual=True))


def test_a_passage_s_heading_is_not_quoted(embedder: WordEmbedder) -> None:
    """A FAQ's question heading is close to the question asked, but says nothing."""
    heading = "Why is foo-data not removed when I uninstall foo?"
    passages = passages_of(
        f"{heading} Some packages are split in program and data. "
        "The data package is not removed when I uninstall foo because foo-data is shared."
    )
    passages = [replace(p, heading=f"8 Package management > {heading}") for p in passages]
    said = [s.text for s in writer(embedder).write(heading, "en", passages).sentences]
    assert said and heading not in said
    assert any("foo-data is shared" in s for s in said)
    # nor brought in before a sentence that refers back to it
    passages = passages_of(f"{heading} It is shared by several programs, so it stays.")
    passages = [replace(p, heading=f"8 Package management > {heading}") for p in passages]
    said = [s.text for s in writer(embedder).write(heading, "en", passages).sentences]
    assert heading not in said


def test_an_answer_whose_best_sentence_is_in_the_other_language_is_cross_lingual() -> None:
    """Words cannot match across languages, so the dense fallback decides when the best
    sentence is English under a French question, even if French asides outnumber it."""
    question = "D'où vient la chaleur d'une source chaude ?"
    english = passages_of("The groundwater is heated by shallow bodies of magma.", language="en")
    french = passages_of(
        "Le degré Celsius est une unité de température.",
        "Une source chaude jaillit du sol.",
        language="fr",
    )

    def candidate(passage: Passage, score: float) -> Candidate:
        return Candidate(passage, passage.sentences[0], 0, 0, 0.84, 0.0, score)

    best_english = [
        candidate(english[0], 3.0),
        candidate(french[0], 2.5),
        candidate(french[1], 2.4),
    ]
    best_french = [candidate(french[1], 3.0), candidate(english[0], 2.5), candidate(french[0], 2.4)]
    terms = key_terms(question, "fr")
    assert _evidence(question, "fr", terms, best_english, best_english, "fr").cross_lingual
    assert not _evidence(question, "fr", terms, best_french, best_french, "fr").cross_lingual


def test_a_numbered_name_must_be_in_the_passages_with_its_number() -> None:
    passages = [
        Passage(
            1,
            "https://d.example/releases",
            "Releases",
            "Debian 8.0 (Jessie) came out in April 2015. Debian 12 is called Bookworm.",
            0,
        )
    ]
    assert missing_names("What is the codename of Debian 13?", passages) == ("Debian 13",)
    assert missing_names("Quand Debian 8 est-elle sortie ?", passages) == ()  # 8.0 holds 8
    assert missing_names("What is the codename of Debian 12?", passages) == ()
    assert missing_names("Which Debian 1 release?", passages) == ("Debian 1",)
    # a year after a name is a date, left to the dates
    assert missing_names("What did Debian ship in 2015?", passages) == ()


def test_a_name_counts_however_its_words_are_joined() -> None:
    passages = [
        Passage(
            1,
            "https://d.example/vpn",
            "VPN",
            "Install network-manager-openvpn-gnome to use OpenVPN from the Network Manager applet.",
            0,
        )
    ]
    question = "Which package adds OpenVPN support to the NetworkManager GUI in GNOME?"
    # NetworkManager is written with a hyphen or a space; GUI is a common noun
    assert missing_names(question, passages) == ()
    assert missing_names("Does the WireGuard applet work?", passages) == ("WireGuard",)


def test_a_question_is_not_an_answer() -> None:
    w = SelectionWeights()
    question = _form_penalty("Omit OpenLDAP server configuration?", frozenset(), w)
    statement = _form_penalty("Run dpkg-reconfigure slapd to answer them again.", frozenset(), w)
    assert question > statement


@pytest.mark.parametrize(
    ("sentence", "back"),
    [
        ("Support for the powerpc architecture was dropped in this release.", True),
        ("It was the first release to ship a graphical installer.", True),
        ("Cette version a introduit un nouvel installateur.", True),
        ("Elle a été publiée en juin 2017.", True),
        ("À cette époque, le projet comptait cent développeurs.", True),
        # a conclusion or an addition: its premise or its subject is the sentence before
        ("Therefore, we need to verify new members before giving them accounts.", True),
        ("Also contains canonical config.sub and config.guess files.", True),
        ("Par conséquent, il faut relancer le service.", True),
        ("De plus, le paquet fournit une page de manuel.", True),
        # a restatement ("That is, "$*" is equivalent to "$1c$2c…"", the Bash manual: quoted
        # alone, the answer to "$* or $@?" read as if nothing came before)
        ('That is, "$*" is equivalent to "$1c$2c...".', True),
        ("That option is off by default.", True),
        ("C'est-à-dire que la variable est exportée.", True),
        # after a field's label (a DocBook list of options: "Option : X", "Valeur par
        # défaut : su:/bin/su", then "Description : Cette option…"), unless the label is the
        # term the sentence is about
        ("Description : Cette option définit la commande externe à utiliser.", True),
        ("Note: It is removed when the machine boots.", True),
        ("lowmem: Ce paramètre force le niveau de mémoire.", False),
        ("Valeur par défaut : su:/bin/su", False),
        ("Debian 9 was released in June 2017.", False),
        ("Items are listed in alphabetical order.", False),
        ("Thereafter the archive was split into main and contrib.", False),
        ("Le paquet est installé par défaut.", False),
    ],
)
def test_refers_back(sentence: str, back: bool) -> None:
    assert refers_back(sentence) is back


def test_a_sentence_that_refers_back_brings_the_one_before(embedder: WordEmbedder) -> None:
    text = (
        "Debian 9 Stretch was released in June 2017 after a long freeze. "
        "Support for the powerpc architecture was dropped in this release. "
        "Mirrors carry every architecture of the archive."
    )
    passage = Passage(1, "https://d.example/stretch", "Releases", text, 0)
    passages = [replace(passage, sentences=tuple(split_sentences(text)))]
    draft = writer(embedder).write(
        "Which release dropped support for the powerpc architecture?", "en", passages
    )
    quoted = [s.text for s in draft.sentences]
    dropped = quoted.index("Support for the powerpc architecture was dropped in this release.")
    assert dropped > 0 and quoted[dropped - 1].startswith("Debian 9 Stretch was released")


def test_a_context_sentence_that_refers_back_brings_its_own_sentence_before() -> None:
    """Not only the answer's core: "It is managed by Sofia Bianchi." from the 2024 file,
    shown as context after the 2023 file's sentences, read as the 2023 budget's manager."""
    from calanque.answer.extractive import Candidate, _reading_order, _with_companions

    texts = (
        "The IT budget for 2023 was 120,000 euros. It was managed by Karim Haddad.",
        "The IT budget for 2024 is 150,000 euros. It is managed by Sofia Bianchi.",
    )
    passages = [
        replace(
            Passage(n, f"file:///budget-{n}.md", "IT budget", text, 0),
            sentences=tuple(split_sentences(text)),
        )
        for n, text in enumerate(texts, start=1)
    ]
    core = [Candidate(passages[0], passages[0].sentences[i], i, i, 0.9, 0.9, 3.0) for i in (0, 1)]
    context = Candidate(passages[1], passages[1].sentences[1], 1, 3, 0.8, 0.5, 1.5)
    shown = _reading_order(_with_companions([*core, context], core))
    assert [c.span.text for c in shown] == [
        "The IT budget for 2023 was 120,000 euros.",
        "It was managed by Karim Haddad.",
        "The IT budget for 2024 is 150,000 euros.",
        "It is managed by Sofia Bianchi.",
    ]


def _quoted(
    embedder: WordEmbedder, text: str, question: str, language: str
) -> tuple[list[Passage], list[str]]:
    """One passage of ``text`` split into sentences, and what the writer quotes from it."""
    passage = Passage(1, "https://d.example/doc", "Manual", text, 0)
    passages = [replace(passage, sentences=tuple(split_sentences(text)))]
    draft = writer(embedder).write(question, language, passages)
    return passages, [s.text for s in draft.sentences]


def test_a_definition_s_term_is_brought_only_where_it_defines() -> None:
    """The review's cases: a short option named inside a longer word is not named (``-i``
    in ``non-interactive``); a label with a function word (``For example:``) or of more
    than three words defines nothing; an earlier paragraph's term is not this one's."""
    text = (
        "-i: Force the shell to run interactively. The option is ignored for non-interactive"
        " invocations.\n"
        "For example: the shell reads a file. The option is ignored for scripts.\n"
        "Startup files read twice: the shell reads them. The option is ignored at login.\n"
        "-e: Exit at once.\n"
        "The option is ignored for restricted shells.\n"
        "-r: Restrict. It is one. It is two. It is three. The option is ignored by root."
    )
    passage = Passage(1, "https://d.example/bash", "Options", text, 0)
    passages = [replace(passage, sentences=tuple(split_sentences(text)))]
    by_text = {s.text: i for i, s in enumerate(passages[0].sentences)}

    def defining(sentence: str) -> int | None:
        cand = Candidate(
            passages[0],
            passages[0].sentences[by_text[sentence]],
            by_text[sentence],
            0,
            0.0,
            0.0,
            0.0,
        )
        return _defining(cand)

    assert defining("The option is ignored for non-interactive invocations.") == 0
    assert defining("The option is ignored for scripts.") is None
    assert defining("The option is ignored at login.") is None
    assert defining("The option is ignored for restricted shells.") is None  # its own line
    assert defining("It is three.") is not None
    assert defining("The option is ignored by root.") is None  # four sentences on


def test_a_sentence_that_announces_a_command_brings_it(embedder: WordEmbedder) -> None:
    """The Debian Reference's "La commande suivante relance la configuration du fuseau
    horaire…" ends with a period, not a colon: the command on the next line came without
    it."""
    text = (
        "La commande suivante relance la configuration du fuseau horaire du système.\n"
        "# dpkg-reconfigure tzdata\n"
        "Les règles suivantes servent au fuseau horaire du serveur de temps.\n"
        "Le fuseau horaire se règle aussi pendant l'installation."
    )
    passages, quoted = _quoted(
        embedder, text, "Comment relancer la configuration du fuseau horaire ?", "fr"
    )
    passage = passages[0]
    announced = quoted.index(
        "La commande suivante relance la configuration du fuseau horaire du système."
    )
    assert quoted[announced + 1] == "# dpkg-reconfigure tzdata"
    # what follows an announcement is brought only when it is a command line of its own
    assert _command_after(passages[0], 1)
    assert not _command_after(passages[0], 3)  # "Le fuseau horaire se règle aussi…"
    inline = "Lancez la commande suivante. Dpkg -i paquet.deb"
    inline_passage = replace(passage, text=inline, sentences=tuple(split_sentences(inline)))
    assert len(inline_passage.sentences) == 2 and not _command_after(inline_passage, 1)
    # a cue used as an ordinary word announces nothing (the review's: an unrelated command
    # line came with them)
    assert announces("Schedule a one-time job by the following.")
    for sentence in (
        "Les règles suivantes servent au fuseau horaire du serveur de temps.",
        "The shell does not exit if the command following the final && fails.",
        "Suivant les cas, le service démarre au boot.",
        "Versions below 2.0 are no longer supported.",
    ):
        assert not announces(sentence), sentence


def test_an_announced_listing_comes_whole(embedder: WordEmbedder) -> None:
    """ "… restarted with either of the following commands:" came with its first command
    only, and a procedure announced with a colon lost its later steps."""
    text = (
        "After editing the file, the NFS server must be restarted with either of the "
        "following commands:\n"
        "# exportfs -ra\n"
        "# systemctl restart nfs-kernel-server\n"
        "# systemctl status nfs-kernel-server\n"
        "# journalctl -u nfs-kernel-server\n"
        "The exports file lists the directories shared over the network."
    )
    _, quoted = _quoted(embedder, text, "How is the NFS server restarted after editing?", "en")
    announced = quoted.index(
        "After editing the file, the NFS server must be restarted with either of the "
        "following commands:"
    )
    # a listing of SHOWN_LINES lines or fewer comes whole, in its order
    assert quoted[announced + 1 : announced + 5] == [
        "# exportfs -ra",
        "# systemctl restart nfs-kernel-server",
        "# systemctl status nfs-kernel-server",
        "# journalctl -u nfs-kernel-server",
    ]


def test_a_long_program_after_a_colon_gives_its_lines_closest_to_the_question(
    embedder: WordEmbedder,
) -> None:
    """Python's argparse tutorial: "Let's fix it by restricting the values the --verbosity
    option can accept:" came with ``import argparse`` alone, not the line with
    ``choices=[0, 1, 2]`` that answered; a block longer than SHOWN_LINES gives its first
    line and its best lines, in their order, and stops where prose starts again."""
    text = (
        "Let's fix it by restricting the values the verbosity option can accept:\n"
        "import argparse\n"
        "parser = argparse.ArgumentParser()\n"
        'parser.add_argument("square", type=int, help="display a square")\n'
        'parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2])\n'
        "args = parser.parse_args()\n"
        "answer = args.square**2\n"
        "if args.verbosity == 2:\n"
        "print(answer)\n"
        "And the output:\n"
        "$ python3 prog.py 4 -v 3"
    )
    question = "How do I restrict the verbosity option to the values 0, 1 or 2?"
    _, quoted = _quoted(embedder, text, question, "en")
    colon = quoted.index("Let's fix it by restricting the values the verbosity option can accept:")
    shown = quoted[colon + 1 : colon + 1 + SHOWN_LINES]
    assert shown[0] == "import argparse"
    assert 'parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2])' in shown
    lines = text.split("\n")
    assert [lines.index(line) for line in shown] == sorted(lines.index(line) for line in shown)
    assert "$ python3 prog.py 4 -v 3" not in quoted  # after "And the output:", prose


def test_the_items_a_colon_announces_come_with_it(embedder: WordEmbedder) -> None:
    """Python's tutorial: "Programs written in Python are typically much shorter than
    equivalent C programs, for several reasons:" was quoted without its reasons, its list's
    items (lines of their own, opening in lower case)."""
    text = (
        "Programs written in Python are typically much shorter than equivalent C programs,"
        " for several reasons:\n"
        "the high-level data types allow you to express complex operations in a single"
        " statement;\n"
        "statement grouping is done by indentation instead of brackets;\n"
        "no variable or argument declarations are necessary.\n"
        "python is extensible, and the interpreter can be linked into an application."
    )
    _, quoted = _quoted(embedder, text, "Why are Python programs shorter than C programs?", "en")
    colon = quoted.index(
        "Programs written in Python are typically much shorter than equivalent C programs,"
        " for several reasons:"
    )
    assert quoted[colon + 1 : colon + 4] == [
        "the high-level data types allow you to express complex operations in a single statement;",
        "statement grouping is done by indentation instead of brackets;",
        "no variable or argument declarations are necessary.",
    ]  # the list ends with its sentence: the next line is not one of its items


def test_a_definition_s_later_sentence_brings_the_term_it_defines(embedder: WordEmbedder) -> None:
    """The Bash manual's variables, as extraction writes a definition list: quoted alone,
    "The default value is ~/.bash_history." answered a question about HISTSIZE."""
    text = (
        "HISTFILE: The name of the file in which command history is saved. The default value"
        " is ~/.bash_history.\n"
        "HISTSIZE: The maximum number of commands to remember on the history list. The default"
        " value is 500; HISTSIZE is read after the startup files.\n"
        "Lines are counted from the top. The default value is larger on servers."
    )
    _, quoted = _quoted(embedder, text, "Which file is the default value?", "en")
    # a sentence that names its term, and one of a paragraph that defines nothing, come alone
    assert quoted == [
        "HISTFILE: The name of the file in which command history is saved.",
        "The default value is ~/.bash_history.",
        "The default value is 500; HISTSIZE is read after the startup files.",
        "The default value is larger on servers.",
    ]


@pytest.mark.parametrize(
    ("sentence", "pointer"),
    [
        ("See Section 11.7.3.2, « PAM configuration » for an example.", True),
        ("Pour plus d’informations, consultez la page de manuel pam(7).", True),
        ("Voir la section 3 pour les détails.", True),
        ("Cf. chapitre 4.", True),
        ("Seeing the log helps to find the error.", False),
        ("Voici la commande qui installe le paquet.", False),
    ],
)
def test_points_elsewhere(sentence: str, pointer: bool) -> None:
    assert points_elsewhere(sentence) is pointer


def test_a_conclusion_brings_its_premise(embedder: WordEmbedder) -> None:
    """A "why" answered by "Therefore, …" alone quotes the conclusion without its reason."""
    text = (
        "A compromised account could be used to upload malicious packages to every user. "
        "Therefore, new members are verified before they get accounts on the servers. "
        "Mirrors carry every architecture of the archive."
    )
    answer = quoted(embedder, "Why are new members verified before they get accounts?", text)
    verified = answer.index(
        "Therefore, new members are verified before they get accounts on the servers."
    )
    assert verified > 0 and answer[verified - 1].startswith("A compromised account")


def test_a_pointer_is_not_brought_as_what_a_sentence_refers_to(embedder: WordEmbedder) -> None:
    """ "See Section 8…" says nothing a following "de la même manière" could lean on."""
    text = (
        "The file /etc/environment sets variables for every user session. "
        "See Section 8.1.3 for an example of session configuration. "
        "The file /etc/default/locale works the same way and holds the LANG variable."
    )
    answer = quoted(embedder, "Which file holds the default LANG variable?", text)
    assert any(q.startswith("The file /etc/default/locale") for q in answer)
    assert not any(q.startswith("See Section") for q in answer)


def test_the_quoted_language_on_a_tie_is_the_best_sentences() -> None:
    """Two French and two English sentences: the answer's language is the best one's, the
    same in every run (a set's iteration order depends on the process's hash seed)."""
    from calanque.answer.extractive import Candidate, _quoted_language

    def candidate(text: str, language: str, score: float) -> Candidate:
        passage = Passage(1, "https://d.example/p", "", text, 0, language=language)
        span = split_sentences(text)[0]
        return Candidate(passage, span, 0, 0, 0.8, 0.0, score)

    english = [
        candidate("Thrillers are defined by the moods they elicit in their audience.", "en", 3.0),
        candidate("Suspense is the main element of the genre.", "en", 1.0),
    ]
    french = [
        candidate("Il s'agit de la tendance d'une personne à s'ouvrir aux expériences.", "fr", 2.0),
        candidate("Ces facettes sont l'ouverture aux rêveries et aux sentiments.", "fr", 1.5),
    ]
    for chosen in (
        [*english, *french],
        [*french, *english],
        [french[0], english[0], *french[1:], english[1]],
    ):
        assert _quoted_language("fr", chosen) == "en"


def test_titles_and_demonyms_may_be_translated_in_sources_of_the_other_language() -> None:
    """A title ("The Wind in the Willows") or a demonym ("Hawaiian") is written otherwise in
    a French source; a product's name ("Proxmox VE") or a name alone is not."""
    text = "Le Vent dans les saules est publié en France en 1935. En hawaïen, le nom signifie baie."
    french = [
        Passage(1, "https://w.example/vent", "Le Vent dans les saules", text, 0, language="fr")
    ]
    english = [replace(french[0], language="en")]
    question = "When was The Wind in the Willows first published in France?"
    assert missing_names(question, french) == ()
    assert missing_names(question, english) == ("The", "Wind", "Willows")  # same language
    assert missing_names("What does Honolulu mean in Hawaiian?", french) == ("Honolulu",)
    assert missing_names("How do I install Proxmox VE on Debian?", french) == ("Proxmox",)


def test_cognates_count_for_a_sentence_in_the_other_language() -> None:
    from calanque.answer.extractive import cognate_coverage
    from calanque.answer.language import key_terms

    terms = key_terms("Quel démon réagit aux événements de gestion de l'énergie ?", "fr")
    english = "The acpid daemon handles power management events and saves energy."
    unrelated = "The kernel schedules processes on every processor."
    assert cognate_coverage(terms, english) >= 0.4  # événements/events, énergie/energy
    assert cognate_coverage(terms, unrelated) == 0.0


def test_the_tail_of_a_sentence_a_chunk_cut_is_not_quoted_first(embedder: WordEmbedder) -> None:
    """A chunk that starts inside a sentence (its overlap) opens with half a thought."""
    tail = "interactive programs print error messages that start with a capital letter."
    other = "Error messages start with a capital letter in interactive programs, as a rule."
    question = "Do error messages from interactive programs start with a capital letter?"
    for start, opening in ((4_000, "Error messages"), (0, "interactive programs")):
        assert quoted(embedder, question, tail, other, start=start)[0].startswith(opening)


def test_a_chunk_that_opens_on_punctuation_opens_inside_a_sentence(
    embedder: WordEmbedder,
) -> None:
    """A TeX ellipsis (``the second, . . ., kth levels``) let a chunk start at ``.,``."""
    tail = "., kth levels of the factor are generated as indicators of the factor."
    other = "Indicators of the factor are generated for the levels of the factor, as a rule."
    question = "Which levels of the factor are generated as indicators?"
    for start, opening in ((4_000, "Indicators"), (0, "., kth")):
        assert quoted(embedder, question, tail, other, start=start)[0].startswith(opening)


def test_a_part_of_a_quoted_sentence_is_not_quoted_again(embedder: WordEmbedder) -> None:
    """Two chunks' overlap: the second holds the end of a sentence the first holds whole,
    and both were quoted ("…the second, . . ., kth levels of the factor. [2] ., kth levels
    of the factor. [2]")."""
    whole = (
        "The installer asks for the root password and the language of the system, then "
        "it creates the first user account and sets the hostname of the machine."
    )
    part = "creates the first user account and sets the hostname of the machine."
    question = "Which step creates the first user account and sets the hostname?"
    answer = quoted(embedder, question, whole, part)
    assert answer == [whole]


@pytest.mark.parametrize(
    ("one", "other", "part"),
    [
        ("., kth levels of the factor.", "the second, . . ., kth levels of the factor.", True),
        ("kth levels of the factor.", "The kth levels of the factor are listed.", False),
        ("# dpkg-reconfigure tzdata", "Run dpkg-reconfigure tzdata", False),  # a command line
        ("the factor.", "the levels of the factor.", False),  # too short to tell
    ],
)
def test_which_sentence_is_the_end_of_another(one: str, other: str, part: bool) -> None:
    from calanque.answer.extractive import _part_of

    assert _part_of(one, other) is part
    assert _part_of(other, one) is part


def test_a_sentence_ending_with_a_colon_brings_its_example_line(embedder: WordEmbedder) -> None:
    text = (
        "Error messages from compilers should look like this:\n"
        "sourcefile:lineno: message\n"
        "Line numbers should start from 1 at the beginning of the file."
    )
    answer = quoted(embedder, "How should error messages from compilers look?", text)
    at = answer.index("Error messages from compilers should look like this:")
    assert answer[at + 1] == "sourcefile:lineno: message"


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        # a "when" / "quand" inside a yes-or-no question is a conjunction
        ("Les programmes doivent-ils fonctionner quand /usr est en lecture seule ?", set()),
        ("Should programs work when /usr is mounted read-only?", set()),
        ("Est-ce que apt lit le fichier sources.list ?", set()),
        # the inverted subject comes after the question word: a real "quand"
        ("Quand le gel de la version a-t-il commencé ?", {"date"}),
        ("Où APT trouve-t-il les clés des dépôts ?", {"place"}),
        # yes or no, then a second question
        ("Is there a format for copyright files, and where is it specified?", {"path", "place"}),
    ],
)
def test_a_yes_or_no_question_asks_for_no_type(question: str, asked: set[str]) -> None:
    assert question_intents(question) == asked


def test_an_inverted_french_subject_is_no_key_term() -> None:
    from calanque.answer.language import key_terms

    asked = "À partir de combien de lignes un fichier est-il considéré comme non trivial ?"
    surfaces = [t.surface for t in key_terms(asked, "fr")]
    assert "est-il" not in surfaces and "est" not in surfaces
    assert {"lignes", "fichier", "trivial"} <= set(surfaces)
    assert "doivent" in [t.surface for t in key_terms("Les programmes doivent-ils …", "fr")]
    assert "a-t-il" not in [t.surface for t in key_terms("Le gel a-t-il commencé ?", "fr")]


def test_half_a_sentence_is_not_brought_as_what_a_sentence_refers_to(
    embedder: WordEmbedder,
) -> None:
    text = (
        "arrangements to put the system-specific code in the repository without installing it. "
        "It is ok to support a feature on other systems if it works as well on GNU."
    )
    answer = quoted(embedder, "Is it ok to support a feature on other systems?", text, start=9_000)
    assert answer[0].startswith("It is ok to support")
    assert not any(q.startswith("arrangements") for q in answer)


def test_translations_of_the_question_words_lead_to_the_sentence_that_holds_them(
    embedder: WordEmbedder,
) -> None:
    """A French question over English pages: the corpus's own translations of its words
    (index/words.py) find the sentence that the French words alone cannot."""
    from calanque.answer.extractive import translated_coverage
    from calanque.answer.language import key_terms

    question = "Combien de lignes doit compter un fichier ?"
    distractor = "The network daemon listens on port 80 for incoming requests from clients."
    answer = "A source file longer than ten lines needs a copyright notice in its header."
    passages = passages_of(distractor, answer, language="en")
    translations = {"lignes": ["lines"], "fichier": ["file", "files"]}
    terms = key_terms(question, "fr")
    assert translated_coverage(terms, answer, "fr", translations) == 0.5  # 2 of 4 terms
    assert translated_coverage(terms, answer, "fr", {}) == 0.0
    found = writer(embedder).write(question, "fr", passages, translations=translations)
    assert found.sentences[0].text == answer
    plain = writer(embedder).write(question, "fr", passages)
    assert plain.sentences[0].text == distractor  # by the passages' order alone


def test_a_sentence_is_read_after_the_one_before_it(embedder: WordEmbedder) -> None:
    # The answer's own words match nothing of the question: the sentence before it does.
    texts = (
        "Donations to the project may go to several organisations that support it. "
        "The main one is Software in the Public Interest, based in the United States.",
        "Project members meet once a year in a different country.",
    )
    question = "Which organisation receives the donations to the project?"

    def quotes(previous: float) -> list[str]:
        chosen = ExtractiveWriter(
            embedder,
            SentenceVectorStore(),
            max_sentences=2,
            policy=FAKE_POLICY,
            weights=SelectionWeights(previous=previous),
        )
        return [s.text for s in chosen.write(question, "en", passages_of(*texts)).sentences]

    answer = "The main one is Software in the Public Interest, based in the United States."
    assert answer in quotes(SelectionWeights().previous)
    assert answer not in quotes(0.0)  # scored on its own words, it loses to the others


def test_a_follow_up_is_answered_by_its_own_words_more_than_the_carried_ones(
    embedder: WordEmbedder,
) -> None:
    """The standalone query of a follow-up carries the previous question's words (release,
    codename, Slink): weighed like the follow-up's own, they chose a second answer to the
    previous question."""
    passages = passages_of(
        "Slink was the release codename of 1999. The mirror keeps every package for a year."
    )
    standalone = "What does the mirror keep release codename Slink?"
    neutral = embedder.embed_query("zzz")  # the same similarity for both: words decide
    one = ExtractiveWriter(embedder, SentenceVectorStore(), max_sentences=1, policy=FAKE_POLICY)
    plain = one.write(standalone, "en", passages, neutral).sentences[0].text
    asked = "What does the mirror keep?"
    followed = one.write(standalone, "en", passages, neutral, asked=asked).sentences[0].text
    assert plain.startswith("Slink")  # without the question as asked: the carried words
    assert followed.startswith("The mirror keeps")


class _TableEmbedder:
    """Given vectors for given texts (the question included); any other text is far away."""

    name = "test/table"
    dim = 8

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = {text: self._unit(values) for text, values in table.items()}

    @staticmethod
    def _unit(values: list[float]):
        import numpy as np

        vector = np.zeros(8, dtype=np.float32)
        vector[: len(values)] = values
        return vector / float(np.linalg.norm(vector))

    def _vector(self, text: str):
        return self.table.get(text, self._unit([0, 0, 0, 0, 0, 0, 0, 1]))

    def embed_passages(self, texts):
        import numpy as np

        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, 8))

    def embed_query(self, text: str):
        return self._vector(text)


QUESTION_FR = "De quelle maladie Martin Butterweck est-il mort ?"
DIED_EN = "On July 21st, 2002, Martin Butterweck died after battling leukemia."
DIED_FR = "Le 21 juillet 2002, Martin Butterweck est mort après avoir combattu la leucémie."
JOINED_FR = "Martin Butterweck avait rejoint récemment le projet Debian."


def _translation_pair(english: float, french: float) -> _TableEmbedder:
    """The question's cosine to the English sentence and to the French one; the two are
    at ``english × french`` to each other (their other parts are orthogonal)."""
    return _TableEmbedder(
        {
            QUESTION_FR: [1.0],
            DIED_EN: [english, (1 - english**2) ** 0.5, 0.0],
            DIED_FR: [french, 0.0, (1 - french**2) ** 0.5],
            JOINED_FR: [0.9, 0.0, 0.0, (1 - 0.81) ** 0.5],
        }
    )


def _written(embedder: _TableEmbedder, english_first: bool, languages=("en", "fr")) -> list[str]:
    english = passages_of(DIED_EN, language=languages[0])[0]
    french = replace(passages_of(f"{DIED_FR} {JOINED_FR}", language=languages[1])[0], n=2)
    english = replace(english, n=1 if english_first else 2)
    french = replace(french, n=2 if english_first else 1)
    writer = ExtractiveWriter(embedder, SentenceVectorStore(), max_sentences=3, policy=FAKE_POLICY)
    draft = writer.write(
        QUESTION_FR, "fr", [english, french] if english_first else [french, english]
    )
    return [s.text for s in draft.sentences]


def test_a_sentence_and_its_translation_are_quoted_once_in_the_questions_language() -> None:
    """A bilingual site holds each sentence twice; the answer quotes it once, and in the
    question's language even when the other page ranks first (``hist-fr-011``)."""
    # the English sentence scores first (closer to the question, on the first page): its
    # translation takes its place
    quoted_sentences = _written(_translation_pair(0.99, 0.92), english_first=True)
    assert DIED_FR in quoted_sentences
    assert DIED_EN not in quoted_sentences
    # the French one scores first: the English one is left out
    quoted_sentences = _written(_translation_pair(0.92, 0.99), english_first=False)
    assert DIED_FR in quoted_sentences
    assert DIED_EN not in quoted_sentences


def test_two_close_sentences_of_pages_in_one_language_are_both_quoted() -> None:
    """Only pages labelled in two languages hold translations: two French pages with
    sentences as close as a translation pair keep both (cosine under 0.93)."""
    quoted_sentences = _written(
        _translation_pair(0.99, 0.92), english_first=True, languages=("fr", "fr")
    )
    assert DIED_EN in quoted_sentences and DIED_FR in quoted_sentences


def test_sentences_of_two_languages_further_apart_than_a_translation_are_both_quoted() -> None:
    quoted_sentences = _written(_translation_pair(0.93, 0.92), english_first=True)  # 0.856
    assert DIED_EN in quoted_sentences and DIED_FR in quoted_sentences


def test_a_compound_of_function_words_is_no_key_term() -> None:
    """``eux-mêmes``, ``peut-être``, ``celui-ci`` read as prose, not as a command that a
    sentence must hold word for word (a hyphen made them technical terms of weight 2)."""
    question = "Dans quel répertoire les paquets eux-mêmes sont-ils rangés, peut-être celui-ci ?"
    terms = {t.surface: t.weight for t in key_terms(question, "fr")}
    assert set(terms) == {"répertoire", "paquets", "rangés"}
    assert {t.surface: t.weight for t in key_terms("Run apt-get dist-upgrade", "en")} == {
        "run": 1.0,
        "apt-get": 2.0,
        "dist-upgrade": 2.0,
    }
    # English compounds of function words name a thing of the field: they stay
    assert {"do-while", "how-to"} <= {t.surface for t in key_terms("A do-while how-to", "en")}


def test_the_sentences_of_one_page_are_shown_together_its_best_first() -> None:
    """Two passages of one page (its end retrieved first) and another page between them:
    the page is one source, its best sentence first (the answer before its context),
    then its other sentences in its own order, then the other page."""
    from calanque.answer.extractive import Candidate, _reading_order
    from calanque.answer.passages import by_source

    page = "Backups run nightly at 2 am. Copies are kept for thirty days. A restore is quick."
    other = "Printers are on the third floor."
    found = by_source(
        [
            replace(
                Passage(n, url, "Notes", text, start),
                sentences=tuple(split_sentences(text, base=start)),
            )
            for n, url, text, start in (
                (1, "file:///backup.md", page[29:], 29),
                (2, "file:///printers.md", other, 0),
                (3, "file:///backup.md", page[:28], 0),
            )
        ]
    )
    chosen = [
        Candidate(found[0], found[0].sentences[1], 1, 0, 0.9, 0.9, 3.0),
        Candidate(found[0], found[0].sentences[0], 0, 1, 0.9, 0.9, 1.8),
        Candidate(found[1], found[1].sentences[0], 0, 2, 0.8, 0.5, 2.0),
        Candidate(found[2], found[2].sentences[0], 0, 3, 0.7, 0.5, 1.5),
    ]
    shown = _reading_order(chosen)
    assert [c.span.text for c in shown] == [
        "A restore is quick.",
        "Backups run nightly at 2 am.",
        "Copies are kept for thirty days.",
        "Printers are on the third floor.",
    ]


def test_an_answer_quoted_in_the_other_language_covers_the_terms_it_translates() -> None:
    """ "How long are backups kept?" over a French note: counted on English stems alone, the
    answer "Les sauvegardes sont conservées pendant trente jours." covered nothing and was
    refused; its words count through the corpus's translations, as each sentence's do."""
    from calanque.answer.extractive import Candidate, _answer_coverage
    from calanque.answer.language import key_terms

    text = "Les sauvegardes sont conservées pendant trente jours."
    passage = replace(
        Passage(1, "file:///note.md", "Sauvegardes", text, 0, language="fr"),
        sentences=tuple(split_sentences(text)),
    )
    chosen = [Candidate(passage, passage.sentences[0], 0, 0, 0.82, 0.3, 2.0)]
    terms = key_terms("How long are backups kept?", "en")
    translations = {"backups": ["sauvegardes"], "kept": ["conservées"]}
    assert _answer_coverage(terms, chosen, "en", {}) == 0.0
    covered = _answer_coverage(terms, chosen, "en", translations)
    assert covered >= 0.5
    # in the question's own language, translations are not looked up
    english = replace(passage, text="Backups are kept for thirty days.", language="en")
    english = replace(english, sentences=tuple(split_sentences(english.text)))
    same = [Candidate(english, english.sentences[0], 0, 0, 0.9, 1.0, 3.0)]
    assert _answer_coverage(terms, same, "en", {}) == _answer_coverage(
        terms, same, "en", {"backups": ["zzz"]}
    )


def test_a_sentence_in_two_overlapping_passages_of_a_page_is_shown_once() -> None:
    from calanque.answer.extractive import Candidate, _reading_order
    from calanque.answer.passages import by_source

    page = "Backups run nightly at 2 am. They are kept for thirty days. Restores take an hour."
    first, second = page[:59], page[29:]  # both hold "They are kept for thirty days."
    found = by_source(
        [
            replace(
                Passage(n, "file:///backup.md", "Notes", text, start),
                sentences=tuple(split_sentences(text, base=start)),
            )
            for n, text, start in ((1, first, 0), (2, second, 29))
        ]
    )
    kept = found[0].sentences[1]
    assert kept.text == found[1].sentences[0].text == "They are kept for thirty days."
    chosen = [
        Candidate(found[0], found[0].sentences[0], 0, 0, 0.9, 0.9, 3.0),
        Candidate(found[0], kept, 1, 1, 0.9, 0.9, 2.5),
        Candidate(found[1], found[1].sentences[0], 0, 2, 0.9, 0.9, 2.5),
        Candidate(found[1], found[1].sentences[1], 1, 3, 0.8, 0.5, 2.0),
    ]
    assert [c.span.text for c in _reading_order(chosen)] == [
        "Backups run nightly at 2 am.",
        "They are kept for thirty days.",
        "Restores take an hour.",
    ]


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What is Karim Haddad's email address?", {"email"}),
        ("Quel est le numéro de téléphone de la déchetterie ?", {"contact"}),
        ("Quelle est l'adresse e-mail du support ?", {"email"}),
        ("What caused the email outage?", set()),  # an e-mail outage asks no address
        # "where" asks for a place or a file; "which file" for a file only
        ("Where is the paper stored?", {"path", "place"}),
        ("Où se trouve le siège de l'association ?", {"path", "place"}),
        ("Which file holds the configuration?", {"path"}),
    ],
)
def test_contact_and_place_questions(question: str, asked: set[str]) -> None:
    assert question_intents(question) & {"contact", "email", "path", "place"} == asked


@pytest.mark.parametrize(
    ("sentence", "kind", "held"),
    [
        ("En cas de panne, contactez Marc Dupuis au poste 4512.", "contact", True),
        ("Appelez le 05 57 24 61 00 du lundi au vendredi.", "contact", True),
        ("Call +33 1 23 45 67 89 for help.", "contact", True),
        ("Write to it-support@example.org.", "contact", True),
        ("Write to it-support@example.org.", "email", True),
        # an extension answers "which number", not "which e-mail address" (a test that
        # passed on one CPU and failed on another: the extension's sentence was chosen)
        ("En cas de panne, contactez Marc Dupuis au poste 4512.", "email", False),
        ("Call +33 1 23 45 67 89 for help.", "email", False),
        ("The meeting is on 12 March 2026.", "contact", False),
        ("Debian 12.04 was never released.", "contact", False),
        # a place said without a proper name
        ("Le papier est rangé dans l'armoire grise à côté de la cuisine.", "place", True),
        ("The printers are on the third floor.", "place", True),
        ("The printers print in colour.", "place", False),
        # the review's false friends
        ("The club has +2500 members.", "contact", False),
        ("Run docker run -p 80:80 nginx.", "date", False),
        ("Lyon est à 2 heures de Paris.", "date", False),
        ("La commune compte près de 3 000 habitants.", "place", False),
        ("Building from source takes an hour.", "place", False),
        ("A MIDI keyboard is plugged in.", "date", False),
        ("Les poubelles sont ramassées tous les mardis soir.", "date", True),
        ("The office opens at 9:30.", "date", True),
    ],
)
def test_a_phone_number_an_address_or_a_place_is_held(sentence: str, kind: str, held: bool) -> None:
    assert (kind in sentence_features(sentence)) is held


def test_a_month_or_a_weekday_is_no_name_the_sources_must_spell_alike() -> None:
    """ "What caused the e-mail outage on 9 February 2026?" over French notes that write
    "le 9 février 2026" was refused: "February" was a name no passage held."""
    text = "Le 9 février 2026, la messagerie est tombée en panne ; lundi, elle est revenue."
    notes = [Passage(1, "file:///incidents.md", "Incidents", text, 0, language="fr")]
    assert missing_names("What caused the email outage on 9 February 2026?", notes) == ()
    assert missing_names("What broke on Monday?", notes) == ()
    assert missing_names("What broke at Microsoft on Monday?", notes) == ("Microsoft",)
    # a month or a day the sources do not name is still missing (and Mars is a planet)
    assert missing_names("What broke on Tuesday?", notes) == ("Tuesday",)
    moon = [Passage(1, "file:///moon.md", "Moon", "Apollo 11 landed in July 1969.", 0)]
    assert missing_names("When did the rover land on Mars?", moon) == ("Mars",)
    assert missing_names("How often does Firefox Nightly update?", moon) == (
        "Firefox",
        "Nightly",
    )


def test_a_question_in_the_sources_is_never_quoted_as_an_answer(embedder: WordEmbedder) -> None:
    """An FAQ's question ("Where do I drop my child off?") was quoted first, as if it
    answered "What time do I drop my child off…?": a question asserts nothing."""
    text = (
        "Where do I drop my child off for a morning session?\n"
        "At the club house, between 8:45 and 9:00, for a morning session."
    )
    _, quoted = _quoted(
        embedder, text, "What time do I drop my child off for a morning session?", "en"
    )
    assert quoted and not any(q.rstrip().endswith("?") for q in quoted)
    assert any("8:45" in q for q in quoted)


def test_the_best_sentence_that_refers_back_comes_after_what_it_refers_to() -> None:
    """The review's case: the best sentence says "It is managed by…" of a sentence that
    was chosen for itself with a lower score; best first must not put "It…" before it."""
    from calanque.answer.extractive import Candidate, _reading_order
    from calanque.answer.passages import by_source

    text = "The 2024 budget of the club is 12 000 euros. It is managed by Sofia Bianchi."
    [passage] = by_source(
        [replace(Passage(1, "file:///b.md", "B", text, 0), sentences=tuple(split_sentences(text)))]
    )
    chosen = [
        Candidate(passage, passage.sentences[1], 1, 0, 0.9, 0.9, 2.0),
        Candidate(passage, passage.sentences[0], 0, 1, 0.8, 0.5, 1.5),
    ]
    assert [c.span.text for c in _reading_order(chosen)] == [
        "The 2024 budget of the club is 12 000 euros.",
        "It is managed by Sofia Bianchi.",
    ]


def test_an_option_the_question_writes_is_a_key_term_matched_as_written(
    embedder: WordEmbedder,
) -> None:
    """zsh trial: "what does ~1 refer to?" was read as "refer", and the sentence that
    says what ``~1`` is ranked with any sentence about references; the word tokens cut
    ``~1`` to ``1`` and drop ``-s`` and ``=~``."""
    passages = passages_of(
        "A history reference refers to the previous command line. "
        "‘~0’ is equivalent to ‘~+’, and ‘~1’ is the top of the stack.",
    )
    neutral = embedder.embed_query("zzz")  # the same similarity for both: words decide
    one = ExtractiveWriter(embedder, SentenceVectorStore(), max_sentences=1, policy=FAKE_POLICY)
    chosen = one.write("What does ~1 refer to?", "en", passages, neutral).sentences[0].text
    assert "top of the stack" in chosen
    chosen = one.write("What does ~0 refer to?", "en", passages, neutral).sentences[0].text
    assert "top of the stack" in chosen  # ~0 is written there too
    chosen = one.write("What does ~5 refer to?", "en", passages, neutral).sentences[0].text
    assert chosen.startswith("A history reference")  # no sentence writes ~5
    passages = passages_of(
        "A parameter holds the value of the last command run. "
        "The exit status of the last command is kept in $?."
    )
    chosen = one.write("What does $? hold?", "en", passages, neutral).sentences[0].text
    assert chosen.endswith("kept in $?.")  # review: its full stop is no part of it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What does ~1 refer to?", {"~1"}),
        ("What does $? hold?", {"$?"}),
        ("Inside [[ ]], use -nt (or =~).", {"[[", "]]", "-nt", "=~"}),
        ("‘~0’ is equivalent to ‘~+’, and ‘~1’ is the top.", {"~0", "~+", "~1"}),
        ("Redirect with 2>&1, or --help, or !-1.", {"2>&1", "--help", "!-1"}),
        ("apt-get reads debian/watch; a (b) c? | !", set()),
        # review: the punctuation after an operator is not part of it
        (
            "It is kept in $?. Check $?, then repeat it with !!. The case ends with ;;.",
            {"$?", "!!", ";;"},
        ),
        ("What is in $??", {"$?"}),
        # review: links, addresses, numbers and footnote marks are read by the claim checks
        ("See https://a.org/a?b=c&d=e or bob@example.com: 50% of +33 at -5°C [1].", set()),
    ],
)
def test_symbols_are_operators_and_options_as_written(text: str, expected: set[str]) -> None:
    from calanque.index.analysis import symbols

    assert symbols(text) == expected


def test_a_sentence_that_runs_into_a_line_of_code_comes_with_it(embedder: WordEmbedder) -> None:
    """Python's tutorial: "… scripts can be made directly executable, like shell scripts,
    by putting the line" was quoted without the ``#!/usr/bin/env python3.5`` it goes on
    with; a heading before a heading brings nothing (``1.5 Security Updates`` then
    ``1.5.1 Fixing a Security Bug in Ubuntu``)."""
    text = (
        "On Unix systems, Python scripts can be made directly executable, like shell "
        "scripts, by putting the line\n"
        "#!/usr/bin/env python3.5\n"
        "at the beginning of the script and giving the file an executable mode.\n"
        "1.5 Security and Stable Release Updates for Unix scripts\n"
        "1.5.1 Fixing a Security Bug in Ubuntu"
    )
    question = "How can Python scripts be made directly executable on Unix systems?"
    passages, quoted = _quoted(embedder, text, question, "en")
    fragment = quoted.index(
        "On Unix systems, Python scripts can be made directly executable, like shell "
        "scripts, by putting the line"
    )
    assert quoted[fragment + 1] == "#!/usr/bin/env python3.5"
    assert _runs_into_code(passages[0], 0)
    assert not _runs_into_code(passages[0], 3)  # a heading before a heading


def test_a_program_s_name_missing_from_the_index_is_a_missing_name() -> None:
    """Over Python 3.11's tutorial, "How do I use asyncio.TaskGroup…?" was answered with
    sentences about threads: a module's or a file's name written as code counts as a name
    when neither the passages nor the index (``holds``) have it. A name the index holds
    elsewhere is not missing ("config.sub makes huge patches: which option ignores it?"
    is answered by a passage about dpkg-source's options), nor without an index (web
    pages)."""
    passage = Passage(
        1, "https://d.example/threads", "Threads", "Use the queue module to feed the thread.", 0
    )
    indexed = {"config.sub"}
    question = "How do I use asyncio.TaskGroup to wait for coroutines?"
    assert missing_names(question, [passage], indexed.__contains__) == ("asyncio.taskgroup",)
    assert missing_names(question, [passage]) == ()  # no index to ask: not required
    ignored = "config.sub makes huge patches: which option of dpkg-source ignores it?"
    assert missing_names(ignored, [passage], indexed.__contains__) == ()
    assert missing_names(ignored, [passage], set().__contains__) == ("config.sub",)
    # "e.g." is no name; the passage's own words are not missing
    nothing = set().__contains__
    asked = "What does the queue.Queue class do, e.g. with a thread?"
    assert missing_names(asked, [passage], nothing) == ("queue.queue",)
    assert missing_names("Which module feeds the thread, e.g. queue?", [passage], nothing) == ()


class _TwoChunks:
    """A catalog of one document cut after an announcement, as the splitter cuts at a
    paragraph's end, and of a chunk of another document right after it."""

    DOCUMENT = (
        "A simple fix is to add a tiny sleep to the start of the run function:\n\n"
        "def thread_task(name, n):\n"
        "    time.sleep(0.001)\n"
        "    for i in range(n):\n"
        "        print(name, i)\n\n"
        "Instead of trying to guess a good delay value, it is better to use a semaphore.\n"
        "One idea is to use the queue module to create a queue object."
    )

    def __init__(self) -> None:
        cut = self.DOCUMENT.index(":") + 1
        overlap = self.DOCUMENT.index("def thread_task") - 2
        self.chunks = {
            7: Chunk(1, 0, self.DOCUMENT[:cut], 0, cut, id=7),
            8: Chunk(1, 1, self.DOCUMENT[overlap:], overlap, len(self.DOCUMENT), id=8),
            20: Chunk(2, 3, "Say this:", 0, 9, id=20),
            21: Chunk(3, 0, "print('another page')", 0, 21, id=21),
        }

    def chunk_texts(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
        return {i: self.chunks[i] for i in chunk_ids if i in self.chunks}


def _hit(chunk: Chunk) -> Hit:
    return Hit(chunk.id or 0, chunk.document_id, f"https://d.example/{chunk.document_id}",
               "Doc", "", chunk.text, 1.0)  # fmt: skip


def test_a_chunk_that_ends_on_an_announcement_runs_on_through_what_it_announces(
    embedder: WordEmbedder,
) -> None:
    """The Python FAQ's "…add a tiny sleep to the start of the run function:" ended its
    chunk, and the program with ``time.sleep(0.001)`` began the next: never quoted with
    it. The passage runs on through the program's lines, not into the prose after them,
    with offsets that still point into the document; a chunk of another document after it
    is not taken."""
    catalog = _TwoChunks()
    passages = build_passages([_hit(catalog.chunks[7]), _hit(catalog.chunks[20])], catalog)
    extended, alone = passages
    assert extended.text.endswith("print(name, i)")
    assert "semaphore" not in extended.text
    assert _TwoChunks.DOCUMENT[extended.start : extended.end] == extended.text
    assert alone.text == "Say this:"
    draft = writer(embedder).write(
        "What simple fix does the run function need to add a tiny sleep?", "en", passages[:1]
    )
    assert "time.sleep(0.001)" in [s.text for s in draft.sentences]


def test_a_sentence_that_shows_code_answers_how(embedder: WordEmbedder) -> None:
    """A *how* question is answered by a sentence whose ':' shows the lines to type (Python's
    tutorial: "The glob module provides a function for making file lists…:" then ``>>>
    import glob``), as by one that holds a command: of two pages saying the same words,
    the one that shows how comes first, whatever the pages' order."""
    sentence = "The glob module makes a list of files from a wildcard pattern:"
    passages = passages_of(
        f"{sentence}\nIt is one of many modules.",
        f"{sentence}\n>>> import glob\n>>> glob.glob('*.py')",
    )
    draft = writer(embedder).write(
        "How do I make a list of files from a wildcard pattern?", "en", passages, max_sentences=1
    )
    assert [s.text for s in draft.sentences] == [
        sentence,
        ">>> import glob",
        ">>> glob.glob('*.py')",
    ]
    assert draft.sentences[0].citations == (2,)


def test_sentences_naming_different_things_are_not_duplicates(embedder: WordEmbedder) -> None:
    """Two near-copies that give different addresses (the R FAQ: comments go to R-devel,
    questions to R-help) say two things: both are candidates, not one said twice."""
    said = "Please send your email about the manual and its many chapters and figures to"
    help_list = f"{said} r-help@r.example for answers."
    devel_list = f"{said} r-devel@r.example for answers."
    passages = passages_of(f"{help_list} {devel_list}")
    vectors = embedder.embed_passages([help_list, devel_list])
    assert float(vectors[0] @ vectors[1]) >= SelectionWeights().duplicate_cosine
    draft = writer(embedder).write(
        "To which email address do I send comments about the manual?", "en", passages
    )
    assert {help_list, devel_list} <= {s.text for s in draft.sentences}


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Depuis quelle version de zsh la construction always existe-t-elle ?", "version"),
        ("Since which dpkg version does the order of files no longer matter?", "version"),
        ("What is the minimum GCC version required to compile Bash 5.2?", "version"),
        ("In which LLVM release did Thin LTO first become available?", "version"),
        ("Quelle est la version minimale de Python ?", "version"),
        # French puts the head after one adjective at most, and its head is a French word
        ("Quelle est la première version de Debian à gérer ARM ?", "version"),
        ("À quel moment les versions sont-elles gelées ?", ""),
        # a number asked a few words after its question word
        ("What default port number does make.socket connect to?", "quantity"),
        # "version" that is not what is asked: a verb comes between, or a file is asked
        ("What does the version field of a package mean?", ""),
        ("Quel fichier contient le numéro de version de Debian ?", ""),
    ],
)
def test_a_head_noun_after_the_question_word_asks_its_type(question: str, asked: str) -> None:
    assert question_intents(question) & {"version", "quantity"} == ({asked} if asked else set())


@pytest.mark.parametrize(
    ("sentence", "version"),
    [
        ("This was introduced in dpkg 1.16.1.", True),
        ("The compopt builtin appeared in bash-4.0.", True),
        ("Debian 12 ships a newer X server.", True),
        ("Use release 4 or later.", True),
        # a document's part, a date, or no number at all
        ("See Chapter 12 and Figure 3 for details.", False),
        ("The freeze runs August 20-25.", False),
        ("Bookworm is the codename of the next release.", False),
    ],
)
def test_a_version_is_held_as_written(sentence: str, version: bool) -> None:
    assert ("version" in sentence_features(sentence)) is version
