// The search page: ask, stream the answer, show citation chips, sources, related
// questions, follow-ups and the thread history. DOM built with textContent only.
"use strict";

(() => {
  const { t, el, api, json, site } = Calanque;
  const turns = document.getElementById("turns");
  const followup = document.getElementById("followup-form");
  let threadId = null;
  let busy = false;

  function filters() {
    const body = {};
    const sites = document.getElementById("f-sites").value.split(",")
      .map((s) => s.trim()).filter(Boolean);
    if (sites.length) body.search_domain_filter = sites;
    const recency = document.getElementById("f-recency").value;
    if (recency) body.search_recency_filter = recency;
    const language = document.getElementById("f-lang").value;
    if (language) body.search_language_filter = [language];
    const scope = document.getElementById("f-scope").value;
    if (scope) body.search_mode = scope;
    return body;
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

  function renderAnswer(node, text, details, results, turnId) {
    node.replaceChildren();
    // The k-th "[n]" in the text is supported by the k-th citation numbered n.
    const byN = new Map();
    (details || []).forEach((c) => byN.set(c.n, (byN.get(c.n) || []).concat([c])));
    const seen = new Map();
    const parts = String(text).split(/\[(\d+)\]/);
    parts.forEach((part, i) => {
      if (i % 2 === 0) { if (part) node.append(document.createTextNode(part)); return; }
      const n = Number(part);
      const k = seen.get(n) || 0;
      seen.set(n, k + 1);
      const found = byN.get(n) || [];
      node.append(chip(n, found[Math.min(k, found.length - 1)], (results || [])[n - 1], `${turnId}-${i}`));
    });
  }

  function renderSources(node, results) {
    node.replaceChildren();
    // Web results that were not read (used: false) are never numbered sources.
    const numbered = (results || []).filter((r) => r.used !== false);
    if (!numbered.length) return;
    const list = el("ol", { class: "source-list" });
    numbered.forEach((r, i) => {
      const meta = [site(r.url), r.date].filter(Boolean).join(" · ");
      list.append(el("li", { value: i + 1 },
        el("a", { href: r.url, target: "_blank", rel: "noopener noreferrer", text: r.title || r.url }),
        el("span", { class: "meta", text: meta })));
    });
    node.append(el("h3", { "data-i18n": "sources", text: t("sources") }), list);
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
      el("p", { class: "ai-label" }), el("section", { class: "sources" }),
      el("section", { class: "related" }));
    turns.append(turn);
    return turn;
  }

  function finish(turn, payload) {
    const answer = turn.querySelector(".answer");
    const text = payload.verified_answer !== undefined ? payload.verified_answer : payload.answer;
    renderAnswer(answer, text, payload.citation_details || payload.citations, payload.search_results, turn.id);
    answer.removeAttribute("aria-busy");
    turn.querySelector(".ai-label").textContent = payload.label || labelFor(payload);
    const index = payload.index || {};  // the dense pass has not reached every passage yet
    if (index.complete === false) turn.querySelector(".ai-label").textContent += ` · ${t("index_partial").replace("{n}", index.dense_pending)}`;
    renderSources(turn.querySelector(".sources"), payload.search_results);
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
    const body = Object.assign({ stream: true,  // no model: the writer the operator configured
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
          if (chunk.thread_id) threadId = chunk.thread_id;
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
    try { data = await json("/v1/threads"); } catch (e) { return; }
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

  async function openThread(id) {
    const data = await json(`/v1/threads/${encodeURIComponent(id)}`);
    threadId = id;
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
    threadId = null;
    turns.replaceChildren();
    followup.hidden = true;
    document.getElementById("question").focus();
  }

  document.getElementById("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("question");
    threadId = null;
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
  document.getElementById("new-thread").addEventListener("click", newThread);
  Calanque.onLanguage(() => loadThreads());
  loadThreads();
})();
