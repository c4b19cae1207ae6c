// The operator's page: sources, crawl progress and errors, citations per publisher (a bar
// chart of GET /v1/publishers), the consent ledger.
"use strict";

(() => {
  const { t, el, json } = Calanque;
  let polling = null;

  function rows(tbody, items, cells) {
    tbody.replaceChildren(...items.map((item) => el("tr", {}, ...cells(item).map((c) =>
      el("td", {}, c instanceof Node ? c : String(c === null || c === undefined ? "" : c))))));
  }

  async function loadSources() {
    const data = await json("/v1/sources");
    rows(document.getElementById("sources"), data.sources, (s) => [s.id, s.kind, s.url, s.scope.mode,
      el("button", { type: "button", text: t("remove"), "aria-label": `${t("remove")} ${s.url}`,
        on: { click: () => removeSource(s.id) } })]);
  }

  async function removeSource(id) {
    await json(`/v1/sources/${id}`, { method: "DELETE" });
    refresh();
  }

  function showCrawl(crawl) {
    const state = document.getElementById("crawl-state");
    state.textContent = `${t("crawl")}: ${crawl.running ? t("running") : t("idle")}` +
      (crawl.error ? ` — ${crawl.error}` : "");
    document.getElementById("crawl-summary").textContent =
      JSON.stringify({ summary: crawl.summary, index: crawl.index }, null, 2);
    if (crawl.running && !polling) polling = setInterval(refresh, 1000);
    if (!crawl.running && polling) { clearInterval(polling); polling = null; }
  }

  async function loadStatus() {
    const data = await json("/v1/status");
    const counts = document.getElementById("counts");
    counts.replaceChildren(...Object.entries(data.counts).flatMap(([k, v]) =>
      [el("dt", { text: k }), el("dd", { text: v })]));
    const index = data.index || {};  // searchable by words at once, by vectors behind
    counts.append(...["indexed_lexically", "indexed_densely", "dense_pending"].flatMap((k, i) =>
      [el("dt", { text: t(k) }), el("dd", { text: [index.lexical, index.dense, index.dense_pending][i] })]));
    showCrawl(data.crawl);
    rows(document.getElementById("errors"), data.errors, (e) => [e.url, e.kind, e.message, e.at]);
  }

  async function loadLedger() {
    const refused = document.getElementById("refused-only").checked;
    const data = await json(`/v1/consent/ledger?refused_only=${refused}&limit=200`);
    rows(document.getElementById("ledger"), data.entries, (e) => [e.url,
      e.allowed ? t("allowed") : t("refused"), e.signal, e.rule, e.decided_at]);
  }

  async function loadPublishers() {
    const data = await json("/v1/publishers");
    const cited = data.data.filter((p) => p.cited > 0).slice(0, 15);
    const most = Math.max(1, ...cited.map((p) => p.cited));
    document.getElementById("no-citations").hidden = cited.length > 0;
    document.getElementById("publishers").replaceChildren(...cited.map((p) => {
      const bar = el("span", { class: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.round((100 * p.cited) / most)}%`;
      return el("li", { "aria-label": `${p.host}: ${p.cited} ${t("citations_of")}` },
        el("span", { class: "bar-label", text: p.host }), bar,
        el("span", { class: "bar-value", text: String(p.cited) }));
    }));
  }

  function refresh() {
    Promise.all([loadSources(), loadStatus(), loadPublishers(), loadLedger()]).catch((error) => {
      document.getElementById("source-error").textContent = error.message;
    });
  }

  document.getElementById("source-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = document.getElementById("source-error");
    message.textContent = "";
    try {
      await json("/v1/sources", { method: "POST", body: JSON.stringify({
        url: document.getElementById("source-url").value,
        kind: document.getElementById("source-kind").value }) });
      document.getElementById("source-url").value = "";
      refresh();
    } catch (error) { message.textContent = error.message; }
  });
  document.getElementById("start-crawl").addEventListener("click", async () => {
    try { showCrawl(await json("/v1/crawl", { method: "POST", body: "{}" })); }
    catch (error) { document.getElementById("crawl-state").textContent = error.message; }
  });
  document.getElementById("refused-only").addEventListener("change", loadLedger);
  document.getElementById("refresh").addEventListener("click", refresh);
  Calanque.onLanguage(refresh);
  refresh();
})();
