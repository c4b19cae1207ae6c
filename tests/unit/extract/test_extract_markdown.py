"""Markdown: headings become the outline, code stays verbatim, markup goes away."""

from __future__ import annotations

from calanque.extract import extract

MARKDOWN = """---
title: "Guide de démarrage"
tags: [debian]
---
# Installer Debian

Téléchargez l'image **netinst** depuis [le site](https://www.debian.org/) officiel.

## Après l'installation

Mettez le système à jour :

```
sudo apt update
    sudo apt full-upgrade
```

- activez les mises à jour de sécurité
- installez `unattended-upgrades`

### Sauvegardes

| Outil | Usage |
|---|---|
| borg | dédupliqué |
"""


def test_markdown_outline_and_text() -> None:
    doc = extract(MARKDOWN.encode(), "file:///docs/start.md", "text/markdown")
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "Installer Debian"),
        (2, "Après l'installation"),
        (3, "Sauvegardes"),
    ]
    for heading in doc.headings:
        assert doc.text[heading.start : heading.start + len(heading.text)] == heading.text
    assert "Téléchargez l'image netinst depuis le site officiel." in doc.text
    assert "sudo apt update\n    sudo apt full-upgrade" in doc.text
    assert "installez unattended-upgrades" in doc.text
    assert "Outil | Usage\nborg | dédupliqué" in doc.text
    assert "**" not in doc.text and "](" not in doc.text and "tags:" not in doc.text
    assert doc.title == "Guide de démarrage"
    assert doc.language == "fr"


def test_markdown_title_defaults_to_first_heading() -> None:
    doc = extract(
        b"Intro line.\n\n# The Real Title\n\nBody text here.", "file:///a.md", "text/markdown"
    )
    assert doc.title == "The Real Title"
