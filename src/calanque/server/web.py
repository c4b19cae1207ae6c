"""The web page (``/``) and the operator's page (``/admin``).

Server-rendered Jinja templates and a little plain JavaScript (``static/``), no build
step. The pages hold no data: their scripts call the API from the browser, so they
obey the same keys as any client. When API keys exist, the page asks for one and keeps
it in the browser's ``localStorage``; with no key configured the server only answers
loopback clients, and the page just works for the operator on the same machine. The
search page gives each browser a random id (an HttpOnly cookie): without keys, the threads
it makes are that browser's, and its history lists only them.

Crawled text is untrusted: the scripts build the DOM with ``textContent`` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from calanque import __version__
from calanque.server.auth import BROWSER_COOKIE, browser_id, new_browser_id

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "tagline": "Answers from the sources you trust, with verified citations.",
        "question": "Your question",
        "ask": "Ask",
        "followup": "Ask a follow-up",
        "followup_placeholder": "Ask a follow-up question…",
        "placeholder": "Ask anything about your sources…",
        "filters": "Filters",
        "sites": "Sites (comma separated, -site to exclude)",
        "recency": "Recency",
        "any_time": "Any time",
        "day": "Past day",
        "week": "Past week",
        "month": "Past month",
        "year": "Past year",
        "language": "Source language",
        "any_language": "Any language",
        "search_in": "Search in",
        "scope_default": "Default",
        "scope_sources": "Indexed sources",
        "scope_web": "The web",
        "scope_all": "Sources and the web",
        "interface_language": "Interface language",
        "history": "History",
        "new_thread": "New thread",
        "no_threads": "No threads yet.",
        "sources": "Sources",
        "related": "Related questions",
        "thinking": "Searching…",
        "api_key": "API key",
        "save": "Save",
        "key_needed": "This server needs an API key: paste it below.",
        "error": "Error",
        "delete": "Delete",
        "admin": "Operator page",
        "home": "Search",
        "open_source": "Open the source at the quote",
        "citation": "Citation",
        "add_source": "Add a source",
        "source_url": "Source URL",
        "kind": "Kind",
        "start_crawl": "Start a crawl",
        "crawl": "Crawl",
        "running": "running",
        "idle": "idle",
        "errors": "Page errors",
        "ledger": "Consent ledger",
        "publishers": "Citations per publisher",
        "no_citations": "No answer has cited a publisher yet.",
        "citations_of": "citations",
        "refusals_only": "Refusals only",
        "counts": "Catalog",
        "indexed_lexically": "indexed lexically",
        "indexed_densely": "indexed densely",
        "dense_pending": "waiting for vectors",
        "index_partial": "Answered while the index is still being built: {n} passages are searched by their words only.",
        "url": "URL",
        "allowed": "allowed",
        "refused": "refused",
        "signal": "Signal",
        "rule": "Rule",
        "when": "When",
        "remove": "Remove",
        "id": "Id",
        "scope": "Scope",
        "message": "Message",
        "status": "Status",
        "refresh": "Refresh",
        "space": "Space",
        "all_sources": "All sources",
        "space_about": "About this space",
        "space_sources": "Its sources",
        "space_web_off": "A space answers from its own sources only.",
        "pages_of": "pages",
        "export": "Export this thread",
        "export_md": "Markdown",
        "export_html": "HTML",
        "print_pdf": "Print / PDF",
        "consent": "Consent",
        "consent_unknown": "no consent decision recorded (a page read live, or collected before the ledger)",
        "quotes_used": "Quotes used",
        "cited_as": "cited as",
        "unread": "Web results not read",
        "not_read": "not read",
    },
    "fr": {
        "tagline": "Des réponses tirées des sources que vous avez choisies, aux citations vérifiées.",
        "question": "Votre question",
        "ask": "Demander",
        "followup": "Poser une question de suivi",
        "followup_placeholder": "Posez une question de suivi…",
        "placeholder": "Posez une question sur vos sources…",
        "filters": "Filtres",
        "sites": "Sites (séparés par des virgules, -site pour exclure)",
        "recency": "Date",
        "any_time": "Toutes dates",
        "day": "Dernier jour",
        "week": "Dernière semaine",
        "month": "Dernier mois",
        "year": "Dernière année",
        "language": "Langue des sources",
        "any_language": "Toutes langues",
        "search_in": "Chercher dans",
        "scope_default": "Par défaut",
        "scope_sources": "Les sources indexées",
        "scope_web": "Le web",
        "scope_all": "Les sources et le web",
        "interface_language": "Langue de l'interface",
        "history": "Historique",
        "new_thread": "Nouvelle conversation",
        "no_threads": "Aucune conversation.",
        "sources": "Sources",
        "related": "Questions associées",
        "thinking": "Recherche…",
        "api_key": "Clé d'API",
        "save": "Enregistrer",
        "key_needed": "Ce serveur demande une clé d'API : collez-la ci-dessous.",
        "error": "Erreur",
        "delete": "Supprimer",
        "admin": "Page de l'opérateur",
        "home": "Recherche",
        "open_source": "Ouvrir la source à la citation",
        "citation": "Citation",
        "add_source": "Ajouter une source",
        "source_url": "URL de la source",
        "kind": "Type",
        "start_crawl": "Lancer une collecte",
        "crawl": "Collecte",
        "running": "en cours",
        "idle": "à l'arrêt",
        "errors": "Erreurs de pages",
        "ledger": "Registre du consentement",
        "publishers": "Citations par éditeur",
        "no_citations": "Aucune réponse n'a encore cité d'éditeur.",
        "citations_of": "citations",
        "refusals_only": "Refus seulement",
        "counts": "Catalogue",
        "indexed_lexically": "indexées (mots)",
        "indexed_densely": "indexées (vecteurs)",
        "dense_pending": "en attente de vecteurs",
        "index_partial": "Réponse donnée pendant la construction de l'index : {n} passages ne sont cherchés que par leurs mots.",
        "url": "URL",
        "allowed": "autorisé",
        "refused": "refusé",
        "signal": "Signal",
        "rule": "Règle",
        "when": "Date",
        "remove": "Retirer",
        "id": "Id",
        "scope": "Portée",
        "message": "Message",
        "status": "État",
        "refresh": "Actualiser",
        "space": "Espace",
        "all_sources": "Toutes les sources",
        "space_about": "À propos de cet espace",
        "space_sources": "Ses sources",
        "space_web_off": "Un espace répond à partir de ses seules sources.",
        "pages_of": "pages",
        "export": "Exporter cette conversation",
        "export_md": "Markdown",
        "export_html": "HTML",
        "print_pdf": "Imprimer / PDF",
        "consent": "Consentement",
        "consent_unknown": "aucune décision de consentement enregistrée (page lue en direct, ou collectée avant le registre)",
        "quotes_used": "Citations utilisées",
        "cited_as": "citée en",
        "unread": "Résultats du web non lus",
        "not_read": "non lu",
    },
}


def page_language(request: Request) -> str:
    """The first of French or English in the browser's Accept-Language (the script may switch)."""
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in STRINGS:
            return code
    return "en"


def _render(request: Request, name: str, **extra: Any) -> HTMLResponse:
    lang = page_language(request)
    context: dict[str, Any] = {
        "lang": lang,
        "t": STRINGS[lang],
        "strings": STRINGS,
        "version": __version__,
        **extra,
    }
    response = templates.TemplateResponse(request, name, context)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _with_browser_id(request: Request, response: HTMLResponse) -> HTMLResponse:
    """Give a browser its random id once (kept a year; HttpOnly, SameSite=Lax)."""
    if not browser_id(request):
        response.set_cookie(
            BROWSER_COOKIE,
            new_browser_id(),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        return _with_browser_id(request, _render(request, "index.html", space=""))

    @app.get("/spaces/{name}", response_class=HTMLResponse, include_in_schema=False)
    def space_page(name: str, request: Request) -> HTMLResponse:
        """The search page within one space, its description and sources shown. The
        script checks the space (an unknown one is said on the page)."""
        page = _render(request, "index.html", space=name[:80])
        return _with_browser_id(request, page)

    @app.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    def admin(request: Request) -> HTMLResponse:
        return _render(request, "admin.html")
