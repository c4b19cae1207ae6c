// Shared by the pages: interface language, API key, API calls, safe DOM building.
// Crawled text is untrusted: it only ever reaches the page through textContent.
"use strict";

const Calanque = (() => {
  const STRINGS = JSON.parse(document.getElementById("i18n").textContent);
  const LANG_KEY = "calanque.lang";
  const API_KEY = "calanque.key";

  function pickLanguage() {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved && STRINGS[saved]) return saved;
    const browser = (navigator.language || "en").slice(0, 2).toLowerCase();
    return STRINGS[browser] ? browser : "en";
  }

  let lang = pickLanguage();
  const listeners = [];

  function t(key) {
    return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = t(node.dataset.i18n);
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    });
    document.querySelectorAll("[data-i18n-label]").forEach((node) => {
      node.setAttribute("aria-label", t(node.dataset.i18nLabel));
    });
    const select = document.getElementById("ui-lang");
    if (select) select.value = lang;
    listeners.forEach((fn) => fn(lang));
  }

  function setLanguage(value) {
    if (!STRINGS[value]) return;
    lang = value;
    localStorage.setItem(LANG_KEY, value);
    applyLanguage();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name === "on") Object.entries(value).forEach(([ev, fn]) => node.addEventListener(ev, fn));
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function headers(extra) {
    const out = Object.assign({ "Content-Type": "application/json" }, extra || {});
    const key = localStorage.getItem(API_KEY);
    if (key) out.Authorization = "Bearer " + key;
    return out;
  }

  function askForKey(message) {
    const box = document.getElementById("key-box");
    if (!box) return;
    box.hidden = false;
    if (message) document.getElementById("key-message").textContent = message;
    document.getElementById("api-key").focus();
  }

  async function api(path, options) {
    const init = Object.assign({}, options || {});
    init.headers = headers(init.headers);
    const response = await fetch(path, init);
    if (response.status === 401 || response.status === 403) {
      const body = await response.json().catch(() => ({}));
      const message = (body.error && body.error.message) || t("key_needed");
      askForKey(message);
      throw new Error(message);
    }
    return response;
  }

  async function json(path, options) {
    const response = await api(path, options);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
    return body;
  }

  function site(url) {
    try { return new URL(url).host; } catch (e) { return ""; }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const select = document.getElementById("ui-lang");
    if (select) select.addEventListener("change", () => setLanguage(select.value));
    const form = document.getElementById("key-form");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const value = document.getElementById("api-key").value.trim();
        if (value) localStorage.setItem(API_KEY, value);
        else localStorage.removeItem(API_KEY);
        document.getElementById("key-box").hidden = true;
        listeners.forEach((fn) => fn(lang));
      });
    }
    applyLanguage();
  });

  return { t, el, api, json, site, setLanguage, onLanguage: (fn) => listeners.push(fn),
           get lang() { return lang; } };
})();
