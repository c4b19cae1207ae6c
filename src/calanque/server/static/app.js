// The search page: pick a space, ask, stream the answer, show citation chips, source
// cards, related questions, follow-ups, exports and this browser's (or key's) thread
// history. DOM built with textContent only.
"use strict";

(() => {
  const { t, el, api, json, site } = Calanque;
  const turns = document.getElementById("turns");
  const followup = document.getElementById("followup-form");
  const spaceSelect = document.getElementById("f-space");
  const scopeSelect = document.getElementById("f-scope");
  const SPACE_KEY = "calanque.space";
  let threadId = null;
  let busy = false;
  let space = "";  // the space asked within ("" for every source the caller may reach)

  function filters() {
    const body = {};
    const sites = document.getElementById("f-sites").value.split(",")
      .map((s) => s.trim()).filter(Boolean);
    if (sites.length) body.search_domain_filter = sites;
    const recency = document.getElementById("f-recency").value;
    if (recency) body.search_recency_filter = recency;
    const language = document.getElementById("f-lang").value;
    if (language) body.search_language_filter = [language];
    if (space) body.space = space;  // a space answers from its sources: no search_mode
    else if (scopeSelect.value) body.search_mode = scopeSelect.value;
    return body;
  }

  // ---- spaces ---------------------------------------------------------------------
  function showSpaceError(message) {
    const node = document.getElementById("space-error");
    node.textContent = message || "";
    node.hidden = !message;
  }

  async function showSpace(name) {
    const panel = document.getElementById("space-info");
    if (!name) { panel.hidden = true; return; }
    const info = await json(`/v1/spaces/${encodeURIComponent(name)}`);
    document.getElementById("space-name").textContent = info.name;
    document.getElementById("space-description").textContent = info.description || "";
    const list = document.getElementById("space-sources");
    list.replaceChildren();
    info.sources.forEach((source) => list.append(el("li", {},
      el("a", { href: source.url, target: "_blank", rel: "noopener noreferrer", text: source.url }),
      el("span", { class: "meta", text: `${source.kind} · ${source.pages} ${t("pages_of")}` }))));
    panel.hidden = false;
  }

  function rememberSpace() {
    const url = new URL(window.location.href);
    if (space) url.searchParams.set("space", space); else url.searchParams.delete("space");
    if (url.pathname.startsWith("/spaces/")) url.pathname = "/";
    window.history.replaceState(null, "", url);
    if (space) localStorage.setItem(SPACE_KEY, space); else localStorage.removeItem(SPACE_KEY);
  }

  async function chooseSpace(name, fromUser) {
    space = name;
    spaceSelect.value = name;
    scopeSelect.disabled = Boolean(name);
    scopeSelect.title = name ? t("space_web_off") : "";
    if (fromUser) rememberSpace();
    try {
      await showSpace(name);
      showSpaceError("");
    } catch (error) {
      showSpaceError(error.message);
    }
  }

  function wantedSpace() {
    const fromPath = document.getElementById("main").dataset.space;
    const fromQuery = new URLSearchParams(window.location.search).get("space");
    return { name: fromPath || fromQuery || localStorage.getItem(SPACE_KEY) || "",
             asked: Boolean(fromPath || fromQuery) };
  }

  async function loadSpaces() {
    let data;
    try { data = await json("/v1/spaces"); } catch (e) { return; }
    const chosen = spaceSelect.value;
    spaceSelect.replaceChildren(el("option", { value: "", "data-i18n": "all_sources", text: t("all_sources") }));
    data.data.forEach((s) => spaceSelect.append(el("option", {
      value: s.name, text: s.name, title: s.description || null })));
    const wanted = wantedSpace();
    const name = chosen || wanted.name;
    if (!name) { await chooseSpace("", false); return; }
    if (data.data.some((s) => s.name === name.replace(/^space:/, ""))) {
      await chooseSpace(name.replace(/^space:/, ""), false);
      return;
    }
    // Unknown (or outside this key's spaces): say so, and ask within every source.
    await chooseSpace("", false);
    if (wanted.asked) {
      try { await json(`/v1/spaces/${encodeURIComponent(name)}`); } catch (error) { showSpaceError(error.message); }
    } else {
      localStorage.removeItem(SPACE_KEY);
    }
  }

  function chip(n, detail, result, turnId) {
    const href = detail ? detail.fragment_url : (result ? result.url : "#");
    const tipId = `${turnId}-tip-${n}`;
    const link = el("a", {
      class: "chip", href, target: "_blank", rel: "noopener noreferrer",
      "aria-describedby": detail ? tipId : null,
      "aria-label": `${t("citation")} ${n}: ${t("open_source")}`, "data-n": n,
    }, `${n}`);
    const wrap = el("span", { class: "chip-wrap" }, link);
    if (detail) {
      const tip = el("span", { class: "tip", role: "tooltip", id: tipId });
      tip.append(el("q", { text: detail.quote }), el("span", { class: "tip-src", text: detail.title || site(detail.url) }));
      wrap.append(tip);
    }
    return wrap;
  }

  function renderAnswer(node, text, details, results, turnId, marks) {
    node.replaceChildren();
    // The answer's markers follow a space, another marker or the start; "argv[0]" in a quote
    // is no marker (read without a look-behind, which older browsers cannot parse).
    const source = String(text);
    const marker = /\[(\d+)\]/g;
    const found = [];
    for (let m = marker.exec(source); m !== null; m = marker.exec(source)) {
      if (m.index === 0 || /[\s\]]/.test(source[m.index - 1])) found.push(m);
    }
    // The j-th marker stands for citation_details[marks[j]] (a citation is listed once
    // however many sentences cite it); without marks (an older stored turn), the k-th "[n]"
    // is taken for the k-th citation numbered n.
    const all = details || [];
    const exact = Array.isArray(marks) && marks.length === found.length;
    const byN = new Map();
    all.forEach((c) => byN.set(c.n, (byN.get(c.n) || []).concat([c])));
    const seen = new Map();
    let last = 0;
    found.forEach((m, j) => {
      if (m.index > last) node.append(document.createTextNode(source.slice(last, m.index)));
      const n = Number(m[1]);
      const k = seen.get(n) || 0;
      seen.set(n, k + 1);
      const same = byN.get(n) || [];
      const pick = exact ? all[marks[j]] : null;
      const detail = pick && pick.n === n ? pick : same[Math.min(k, same.length - 1)];
      node.append(chip(n, detail, (results || [])[n - 1], `${turnId}-${j + 1}`));
      last = m.index + m[0].length;
    });
    if (last < source.length) node.append(document.createTextNode(source.slice(last)));
  }

  function consentText(consent) {
    if (!consent) return `${t("consent")}: ${t("consent_unknown")}`;
    const verdict = consent.allowed ? t("allowed") : t("refused");
    const when = String(consent.decided_at || "").slice(0, 10);
    return `${t("consent")}: ${verdict} (${[consent.signal, consent.rule, when].filter(Boolean).join(", ")})`;
  }

  // One card per page: the numbers it is cited as, its quotes, consent on hover.
  function renderSources(node, results, details) {
    node.replaceChildren();
    // Web results that were not read (used: false) are never numbered sources.
    const numbered = (results || []).filter((r) => r.used !== false);
    const unread = (results || []).filter((r) => r.used === false);
    if (!numbered.length && !unread.length) return;
    const pages = new Map();
    numbered.forEach((r, i) => {
      const page = pages.get(r.url) || { result: r, first: i + 1, numbers: [], quotes: [] };
      pages.set(r.url, page);
    });
    (details || []).forEach((c) => {
      const page = pages.get(c.url);
      if (!page) return;
      if (!page.numbers.includes(c.n)) page.numbers.push(c.n);
      if (c.quote && !page.quotes.includes(c.quote)) page.quotes.push(c.quote);
    });
    const list = el("ol", { class: "source-list" });
    pages.forEach((page, url) => {
      const r = page.result;
      const meta = [site(url), (r.language || "").toUpperCase(), r.date].filter(Boolean).join(" · ");
      const cited = page.numbers.sort((a, b) => a - b).map((n) => `[${n}]`).join(" ");
      const card = el("li", { class: "source-card", value: page.first, title: consentText(r.consent),
        "data-consent": r.consent ? (r.consent.allowed ? "allowed" : "refused") : "unknown" },
        el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: r.title || url }),
        el("span", { class: "meta", text: meta }),
        cited ? el("span", { class: "numbers", text: `${t("cited_as")} ${cited}` }) : null);
      if (page.quotes.length) {
        const quotes = el("ul", { class: "quotes", "aria-label": t("quotes_used") });
        page.quotes.forEach((q) => quotes.append(el("li", {}, el("q", { text: q }))));
        card.append(quotes);
      }
      list.append(card);
    });
    if (numbered.length) node.append(el("h3", { "data-i18n": "sources", text: t("sources") }), list);
    if (unread.length) {
      // The web results the answer could not read, and why (robots.txt, noai, timeout...).
      const rows = el("ul", { class: "unread-list" });
      unread.forEach((r) => rows.append(el("li", { class: "unread", "data-reason": r.reason },
        el("a", { href: r.url, target: "_blank", rel: "noopener noreferrer", text: r.title || r.url }),
        el("span", { class: "meta", text: `${site(r.url)} · ${t("not_read")}: ${r.reason}` }))));
      node.append(el("details", { class: "unread-results" },
        el("summary", { text: `${t("unread")} (${unread.length})` }), rows));
    }
  }

  function renderRelated(node, questions) {
    node.replaceChildren();
    if (!questions || !questions.length) return;
    const list = el("ul", { class: "related-list" });
    questions.forEach((q) => list.append(el("li", {}, el("button", {
      type: "button", class: "related-q", text: q, on: { click: () => ask(q) },
    }))));
    node.append(el("h3", { "data-i18n": "related", text: t("related") }), list);
  }

  function newTurn(question) {
    const id = `turn-${turns.children.length + 1}`;
    const answer = el("p", { class: "answer", "aria-busy": "true", text: t("thinking") });
    const turn = el("article", { class: "turn", id },
      el("h2", { class: "question", text: question }), answer,
      el("ul", { class: "warnings", role: "note", hidden: true }),
      el("p", { class: "ai-label" }), el("section", { class: "sources" }),
      el("section", { class: "related" }));
    turns.append(turn);
    return turn;
  }

  function finish(turn, payload) {
    const answer = turn.querySelector(".answer");
    const text = payload.verified_answer !== undefined ? payload.verified_answer : payload.answer;
    renderAnswer(answer, text, payload.citation_details || payload.citations, payload.search_results, turn.id,
      payload.citation_marks);
    answer.removeAttribute("aria-busy");
    // what the answer leaves out (a part of the question the sources do not answer, a web
    // search provider that failed): said next to it, not only in the API's JSON
    const notes = turn.querySelector(".warnings");
    const warnings = payload.warnings || [];
    notes.replaceChildren(...warnings.map((warning) => el("li", { text: warning })));
    notes.hidden = warnings.length === 0;
    turn.querySelector(".ai-label").textContent = payload.label || labelFor(payload);
    const index = payload.index || {};  // the dense pass has not reached every passage yet
    if (index.complete === false) turn.querySelector(".ai-label").textContent += ` · ${t("index_partial").replace("{n}", index.dense_pending)}`;
    renderSources(turn.querySelector(".sources"), payload.search_results,
      payload.citation_details || payload.citations);
    renderRelated(turn.querySelector(".related"), payload.related_questions);
  }

  function labelFor(payload) {
    const base = payload.language === "fr" ? "Réponse générée par IA" : "AI-generated answer";
    return `${base} (${[payload.writer, payload.model].filter(Boolean).join(" · ")})`;
  }

  async function* events(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim()).join("");
        if (!data || data === "[DONE]") continue;
        yield JSON.parse(data);
      }
    }
  }

  async function ask(question) {
    if (busy || !question.trim()) return;
    busy = true;
    const turn = newTurn(question);
    const answer = turn.querySelector(".answer");
    // no model: the writer the operator configured; the page shows the answer as plain text
    const body = Object.assign({ stream: true, content_format: "text",
      messages: [{ role: "user", content: question }] }, filters());
    if (threadId) body.thread_id = threadId; else body.store = true;
    let text = "";
    try {
      const response = await api("/v1/chat/completions", { method: "POST", body: JSON.stringify(body) });
      if (!response.ok) {
        const err = await response.json().catch(() => ({}));
        throw new Error((err.error && err.error.message) || response.statusText);
      }
      for await (const chunk of events(response)) {
        if (chunk.error) throw new Error(chunk.error.message);
        if (chunk.search_results) renderSources(turn.querySelector(".sources"), chunk.search_results);
        const choice = (chunk.choices || [])[0] || {};
        if (choice.delta && choice.delta.content) {
          text += choice.delta.content;
          renderAnswer(answer, text, [], chunk.search_results, turn.id);
        }
        if (choice.finish_reason) {
          finish(turn, chunk);
          if (chunk.thread_id) setThread(chunk.thread_id);
        }
      }
      followup.hidden = false;
      loadThreads();
    } catch (error) {
      answer.removeAttribute("aria-busy");
      answer.replaceChildren(el("span", { class: "error", role: "alert", text: `${t("error")}: ${error.message}` }));
    } finally {
      busy = false;
    }
  }

  async function loadThreads() {
    const list = document.getElementById("threads");
    let data;
    // This person's threads only: the key's, or without keys this browser's (a thread
    // made elsewhere, the CLI's included, still opens by id: ?thread=ID).
    try { data = await json("/v1/threads?owner=mine"); } catch (e) { return; }
    list.replaceChildren();
    if (!data.threads.length) list.append(el("li", { class: "muted", text: t("no_threads") }));
    data.threads.forEach((thread) => {
      list.append(el("li", { class: thread.id === threadId ? "current" : null },
        el("button", { type: "button", class: "thread", text: thread.title,
          on: { click: () => openThread(thread.id) } }),
        el("button", { type: "button", class: "delete", text: "×",
          "aria-label": `${t("delete")}: ${thread.title}`,
          on: { click: () => deleteThread(thread.id) } })));
    });
  }

  function setThread(id) {
    threadId = id;
    document.getElementById("thread-actions").hidden = !id;
    const url = new URL(window.location.href);
    if (id) url.searchParams.set("thread", id); else url.searchParams.delete("thread");
    window.history.replaceState(null, "", url);
  }

  async function openThread(id) {
    let data;
    try {
      data = await json(`/v1/threads/${encodeURIComponent(id)}`);
    } catch (error) {
      turns.replaceChildren(el("p", { class: "error", role: "alert", text: `${t("error")}: ${error.message}` }));
      return;
    }
    setThread(id);
    turns.replaceChildren();
    let question = "";
    data.messages.forEach((m) => {
      if (m.role === "user") { question = m.content; return; }
      const turn = newTurn(question);
      finish(turn, Object.assign({ answer: m.content }, m.payload || {}));
    });
    followup.hidden = false;
    loadThreads();
  }

  async function deleteThread(id) {
    await json(`/v1/threads/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (id === threadId) newThread();
    loadThreads();
  }

  function newThread() {
    setThread(null);
    turns.replaceChildren();
    followup.hidden = true;
    document.getElementById("question").focus();
  }

  document.getElementById("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("question");
    setThread(null);
    turns.replaceChildren();
    ask(input.value);
  });
  followup.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("followup");
    const question = input.value;
    input.value = "";
    ask(question);
  });
  // ---- exports: the thread as a file (with the API key, as every call), or printed ---
  async function exported(format) {
    const response = await api(`/v1/threads/${encodeURIComponent(threadId)}/export?format=${format}`);
    if (!response.ok) {
      const err = await response.json().catch(() => ({}));
      throw new Error((err.error && err.error.message) || response.statusText);
    }
    return response.blob();
  }

  async function download(format) {
    try {
      const url = URL.createObjectURL(await exported(format));
      const link = el("a", { href: url, download: `thread-${threadId}.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      window.alert(`${t("error")}: ${error.message}`);
    }
  }

  async function printable() {
    const opened = window.open("", "_blank");  // now, while the click still allows a window
    try {
      const url = URL.createObjectURL(await exported("html"));
      if (!opened) { window.location.assign(url); return; }
      opened.location.href = url;
      const started = Date.now();
      const timer = setInterval(() => {  // print once the export has loaded in that window
        let ready = false;
        try { ready = opened.location.href === url && opened.document.readyState === "complete"; }
        catch (e) { clearInterval(timer); return; }
        if (ready) { clearInterval(timer); opened.print(); }
        else if (Date.now() - started > 30000) clearInterval(timer);
      }, 100);
    } catch (error) {
      if (opened) opened.close();
      window.alert(`${t("error")}: ${error.message}`);
    }
  }

  document.getElementById("export-md").addEventListener("click", () => download("md"));
  document.getElementById("export-html").addEventListener("click", () => download("html"));
  document.getElementById("export-print").addEventListener("click", printable);
  document.getElementById("new-thread").addEventListener("click", newThread);
  spaceSelect.addEventListener("change", () => chooseSpace(spaceSelect.value, true));
  Calanque.onLanguage(() => { loadThreads(); loadSpaces(); });
  loadThreads();
  loadSpaces();
  const opening = new URLSearchParams(window.location.search).get("thread");
  if (opening) openThread(opening);
})();
