// The search page: keeps its state in the URL and renders /api/search responses in the page's language.
"use strict";

const state = { q: "", mode: document.body.dataset.defaultMode, page: 1, sort: "", category: "", brand: [], price_min: "", price_max: "", spell: true, understand: true };
const PAGE_SIZE = 10;
const $ = (id) => document.getElementById(id);
const LABELS = JSON.parse($("labels").textContent); // web/labels.py's table for the catalogue's language
const LOCALE = document.documentElement.lang;
const COUNT = new Intl.NumberFormat(LOCALE);
const MS = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const LIST = new Intl.ListFormat(LOCALE, { type: "conjunction" });
let currency = null; // of the results shown; price buckets and the price chip are written in it
let searchId = null; // of the results shown: clicks on them are sent back with it (POST /api/beacon)
const SESSION = session();

// A random id for this tab's searches and clicks; the service stores only a keyed hash of it.
function session() {
  let id = sessionStorage.getItem("prodsearch-session");
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem("prodsearch-session", id);
  }
  return id;
}

// A shopper opened a result: the service learns from it (analytics, training from clicks). sendBeacon survives
// the page being left for the product's page.
function clicked(hit) {
  if (!searchId) return;
  navigator.sendBeacon("/api/beacon", JSON.stringify({ search_id: searchId, product_id: hit.id, session: SESSION }));
}

// A label with its {names} replaced by values (strings or nodes), as a list for replaceChildren.
function fill(key, values = {}) {
  return LABELS[key].split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part);
    return name && name[1] in values ? values[name[1]] : part;
  });
}

function text(key, values) {
  return fill(key, values).join("");
}

// A price in the page's locale, with the currency's symbol where the locale has one (CNY: ¥ in zh-CN);
// `whole` drops the cents of a round number, as on facet bucket edges.
function money(value, code, whole = false) {
  const digits = whole && Number.isInteger(value) ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {};
  if (code) {
    try {
      return new Intl.NumberFormat(LOCALE, { style: "currency", currency: code, ...digits }).format(value);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error; // not a currency code: written after the number below
    }
  }
  const number = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2, ...digits }).format(value);
  return `${number} ${code || ""}`.trim();
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
  children.forEach((child) => node.append(child));
  return node;
}

function queryString() {
  const params = new URLSearchParams({ q: state.q, page: state.page, k: PAGE_SIZE });
  // the served default names no mode: that is what takes part in the shop's experiments (docs/design.md#experiments)
  if (state.mode !== document.body.dataset.defaultMode) params.set("mode", state.mode);
  if (state.sort) params.set("sort", state.sort); // absent: by relevance
  if (state.category) params.set("category", state.category);
  state.brand.forEach((brand) => params.append("brand", brand));
  if (state.price_min !== "") params.set("price_min", state.price_min);
  if (state.price_max !== "") params.set("price_max", state.price_max);
  if (!state.spell) params.set("spell", "0");
  if (!state.understand) params.set("understand", "0");
  return params.toString();
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  state.q = params.get("q") || "";
  state.mode = params.get("mode") || state.mode;
  state.page = Number(params.get("page") || 1);
  state.sort = params.get("sort") || "";
  state.category = params.get("category") || "";
  state.brand = params.getAll("brand");
  state.price_min = params.get("price_min") || "";
  state.price_max = params.get("price_max") || "";
  state.spell = params.get("spell") !== "0";
  state.understand = params.get("understand") !== "0";
}

async function run(pushHistory = true) {
  $("q").value = state.q;
  $("mode").value = state.mode;
  $("sort").value = state.sort;
  $("price-min").value = state.price_min;
  $("price-max").value = state.price_max;
  if (!state.q.trim()) { // nothing to search, as when the only understood words are removed
    if (pushHistory && location.search) history.pushState(null, "", location.pathname);
    clearResults();
    return;
  }
  const query = queryString();
  if (pushHistory) history.pushState(null, "", "?" + query);
  let response;
  let body;
  try {
    response = await fetch("/api/search?" + query, { headers: { "X-Prodsearch-Session": SESSION, "X-Prodsearch-Client": "page" } });
    body = await response.json();
  } catch {
    showError(text("error_network"));
    return;
  }
  if (!response.ok) {
    showError(text("error", { detail: body.detail }));
    return;
  }
  if (body.redirect) { // a shop's rule sends this query to a page of its own (an http or https address)
    location.assign(body.redirect);
    return;
  }
  render(body);
}

function productLink(hit) { // to the product's page here (web/page.py), which links on to the shop's own
  const link = element("a", { href: "/p/" + encodeURIComponent(hit.id) }, hit.title);
  link.addEventListener("click", () => clicked(hit));
  link.addEventListener("auxclick", (event) => { if (event.button === 1) clicked(hit); }); // opened in a new tab
  return link;
}

function clearResults(message = "") {
  $("summary").className = "";
  $("summary").textContent = message;
  ["results", "spelling", "understood", "relaxed", "pagination"].forEach((id) => $(id).replaceChildren());
}

function showError(message) {
  clearResults(message);
  $("summary").className = "error";
}

function renderSpelling(body) {
  if (!body.corrected_query) {
    $("spelling").replaceChildren();
    return;
  }
  const asTyped = element("a", { href: "#" }, body.query);
  asTyped.addEventListener("click", (event) => { event.preventDefault(); state.spell = false; state.page = 1; run(); });
  $("spelling").replaceChildren(...fill("spelling", { corrected: element("strong", {}, body.corrected_query), typed: asTyped }));
}

function render(body) {
  $("summary").className = "";
  renderSpelling(body);
  currency = body.hits.find((hit) => hit.currency)?.currency || currency;
  const first = (body.page - 1) * body.size + 1;
  const values = { query: body.corrected_query || body.query, total: COUNT.format(body.total), ms: MS.format(body.timings_ms.total) };
  let summary = body.no_match ? "no_match" : "no_results";
  if (body.total) summary = body.hits.length ? "summary_page" : "summary_total";
  $("summary").textContent = text(summary, { ...values, first: COUNT.format(first), last: COUNT.format(first + body.hits.length - 1) });
  searchId = body.search_id;
  $("results").replaceChildren(...body.hits.map((hit) =>
    element("li", { class: "result", "data-id": hit.id },
      pictureBox(hit, "small"), // images.js
      element("div", { class: "about" },
        element("span", { class: "price" }, hit.price === null ? "" : money(hit.price, hit.currency)),
        element("h3", {}, productLink(hit)),
        element("div", { class: "meta" }, [hit.brand, hit.category].filter(Boolean).join(" · ")),
        element("p", {}, hit.description)))));
  renderFacet("facet-category", body.facets.category, (value) => value === state.category,
    (value) => { state.category = state.category === value ? "" : value; });
  renderFacet("facet-brand", body.facets.brand, (value) => state.brand.includes(value),
    (value) => { state.brand = state.brand.includes(value) ? state.brand.filter((b) => b !== value) : [...state.brand, value]; });
  const whole = (value) => money(value, currency, true);
  const buckets = body.facets.price.map((bucket) => ({
    value: bucket.max === null ? `${whole(bucket.min)}+` : `${whole(bucket.min)}–${whole(bucket.max)}`, count: bucket.count, bucket,
  }));
  renderFacet("facet-price", buckets, () => false, (value, item) => {
    state.price_min = String(item.bucket.min);
    state.price_max = item.bucket.max === null ? "" : String(item.bucket.max);
  });
  renderChips();
  renderUnderstood(body);
  renderPages(body);
}

function renderFacet(id, items, selected, toggle) {
  $(id).replaceChildren(...items.map((item) => {
    const button = element("button", { type: "button", class: selected(item.value) ? "selected" : "" },
      element("span", {}, item.value), element("span", { class: "count" }, COUNT.format(item.count)));
    button.addEventListener("click", () => { toggle(item.value, item); state.page = 1; run(); });
    return element("li", {}, button);
  }));
}

// A chip naming what narrows the results; its × calls `clear` to change the state, then searches again.
function chipElement(label, clear, attributes = {}) {
  const remove = element("button", { type: "button", "aria-label": text("remove", { label }) }, "×");
  remove.addEventListener("click", () => { clear(); state.page = 1; run(); });
  return element("span", { class: "chip", ...attributes }, label, remove);
}

function renderChips() {
  const chips = [];
  const chip = (label, clear) => chips.push(chipElement(label, clear));
  if (state.category) chip(state.category, () => { state.category = ""; });
  state.brand.forEach((brand) => chip(brand, () => { state.brand = state.brand.filter((b) => b !== brand); }));
  if (state.price_min !== "" || state.price_max !== "") {
    chip(text("price_chip", { min: edge(state.price_min || "0"), max: state.price_max ? edge(state.price_max) : "∞" }),
      () => { state.price_min = ""; state.price_max = ""; });
  }
  $("active-filters").replaceChildren(...chips);
}

// The query's words the engine read as constraints: a chip each, whose × searches the query without them;
// a boost's chip is lighter, for it only ranks. The words can also be searched as plain words instead.
function renderUnderstood(body) {
  const chips = body.understood.map((span) => chipElement(spanLabel(span), () => { state.q = span.undo; },
    { class: `chip understood ${span.effect}`, "data-kind": span.kind, title: text(`understood_${span.effect}`) }));
  if (chips.length) {
    const words = element("a", { href: "#", class: "words-instead" }, text("words_instead"));
    words.addEventListener("click", (event) => { event.preventDefault(); state.understand = false; state.page = 1; run(); });
    chips.push(words);
  }
  $("understood").replaceChildren(...chips);
  const typed = body.understood.filter((span) => span.relaxed).map((span) => `“${span.text}”`);
  $("relaxed").textContent = typed.length ? text("relaxed", { constraints: LIST.format(typed) }) : "";
}

function spanLabel(span) {
  if (span.kind === "price") {
    const bound = (value) => money(value, span.currency || currency, true);
    if (span.price_max === null) return text("understood_price_min", { min: bound(span.price_min) });
    if (span.price_min === null) return text("understood_price_max", { max: bound(span.price_max) });
    return text("understood_price_range", { min: bound(span.price_min), max: bound(span.price_max) });
  }
  // One catalogue value is named as the catalogue writes it (a category by its last step); several
  // (red: red, dark red), by the words as typed.
  const one = span.values.length === 1;
  let value = one ? span.values[0] : span.text;
  if (one && span.kind === "category") value = value.split(" > ").pop();
  return text(`understood_${span.kind}`, { key: span.key || "", value });
}

function edge(raw) { // a price filter's bound from the URL or the form, which need not be a number
  const value = Number(raw);
  return Number.isFinite(value) ? money(value, currency, true) : raw;
}

function renderPages(body) {
  const pages = Math.ceil(body.total / body.size);
  const buttons = [];
  for (let number = 1; number <= Math.min(pages, 10); number += 1) {
    const button = element("button", { type: "button" }, COUNT.format(number));
    if (number === body.page) button.setAttribute("aria-current", "page");
    button.addEventListener("click", () => { state.page = number; run(); window.scrollTo(0, 0); });
    buttons.push(button);
  }
  $("pagination").replaceChildren(...(pages > 1 ? buttons : []));
}

function onSubmit(id, update) {
  $(id).addEventListener("submit", (event) => { event.preventDefault(); update(); state.page = 1; run(); });
}
onSubmit("search-form", () => { state.q = $("q").value; state.mode = $("mode").value; state.sort = $("sort").value; state.spell = true; state.understand = true; });
$("search-form").addEventListener("submit", closeSuggestions);
// A new order shows at once, for the query searched (not the text being typed); page 1 of it.
$("sort").addEventListener("change", () => { state.sort = $("sort").value; state.page = 1; run(); });
onSubmit("price-form", () => { state.price_min = $("price-min").value; state.price_max = $("price-max").value; });
// Suggestions under the search box, from /api/suggest: asked for SUGGEST_DELAY ms after the last keystroke, and a
// request still out when the text changes is aborted, so a stale answer never shows. ArrowDown and ArrowUp move
// through them (past the last, back to the text as typed) and keep them: an answer still to come is dropped, so the
// one reached stays the one Enter searches. Escape closes them, a click searches one. While an input method composes,
// its letters are not yet the text: they are waited out.
const SUGGEST_DELAY = 120;
const SUGGEST_K = 8;
const suggest = { timer: 0, request: null, items: [], active: -1 };

function cancelSuggestions() { // the ones asked for and not yet shown
  clearTimeout(suggest.timer);
  if (suggest.request) suggest.request.abort();
  suggest.request = null;
}

function closeSuggestions() {
  cancelSuggestions();
  showSuggestions([]);
}

function showSuggestions(items) {
  suggest.items = items;
  $("suggestions").replaceChildren(...items.map((item, index) => {
    const option = element("li", { id: `suggestion-${index}`, role: "option", "aria-selected": "false", "data-kind": item.kind },
      element("span", { class: "text" }, item.text));
    if (item.kind === "title") { // a product's: its picture, beside the text that already names it to a screen reader
      option.prepend(pictureBox({ title: item.text, image: item.image }, "tiny"));
      option.firstChild.setAttribute("aria-hidden", "true");
    }
    if (item.kind === "brand" || item.kind === "category") option.append(element("span", { class: "kind" }, text(item.kind)));
    option.addEventListener("mousedown", (event) => event.preventDefault()); // the box keeps the focus
    option.addEventListener("click", () => chooseSuggestion(index));
    return option;
  }));
  $("suggestions").hidden = !items.length;
  $("q").setAttribute("aria-expanded", String(items.length > 0));
  highlight(-1);
}

function highlight(index) { // -1: none, the text as typed
  suggest.active = index;
  [...$("suggestions").children].forEach((option, at) => option.setAttribute("aria-selected", String(at === index)));
  if (index < 0) {
    $("q").removeAttribute("aria-activedescendant");
  } else {
    $("q").setAttribute("aria-activedescendant", `suggestion-${index}`);
    $(`suggestion-${index}`).scrollIntoView({ block: "nearest" });
  }
}

function chooseSuggestion(index) {
  $("q").value = suggest.items[index].text;
  closeSuggestions();
  $("search-form").requestSubmit();
}

function suggestSoon() {
  clearTimeout(suggest.timer);
  suggest.timer = setTimeout(fetchSuggestions, SUGGEST_DELAY);
}

async function fetchSuggestions() {
  const typed = $("q").value;
  if (suggest.request) suggest.request.abort();
  if (!typed.trim()) {
    closeSuggestions();
    return;
  }
  const request = new AbortController();
  suggest.request = request;
  try {
    const response = await fetch("/api/suggest?" + new URLSearchParams({ q: typed, k: SUGGEST_K }), { signal: request.signal });
    const body = response.ok ? await response.json() : { suggestions: [] }; // without them the box works as before
    if (!request.signal.aborted && $("q").value === typed && document.activeElement === $("q")) showSuggestions(body.suggestions);
  } catch {
    // aborted for newer text, or the service out of reach: no suggestions
  } finally {
    if (suggest.request === request) suggest.request = null;
  }
}

$("q").addEventListener("input", (event) => { if (!event.isComposing) suggestSoon(); });
$("q").addEventListener("compositionend", suggestSoon);
$("q").addEventListener("blur", closeSuggestions);
$("q").addEventListener("keydown", (event) => {
  if (event.isComposing) return; // Enter or Escape here belongs to the input method
  const count = suggest.items.length;
  if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
    event.preventDefault();
    cancelSuggestions();
    const step = event.key === "ArrowDown" ? 1 : count; // over -1 (the text as typed), 0 .. count - 1
    highlight(((suggest.active + 1 + step) % (count + 1)) - 1);
  } else if (event.key === "ArrowDown" && $("q").value.trim()) {
    event.preventDefault();
    fetchSuggestions();
  } else if (event.key === "Enter" && suggest.active >= 0) {
    event.preventDefault();
    chooseSuggestion(suggest.active);
  } else if (event.key === "Escape") {
    if (count || suggest.request) event.preventDefault(); // closing them; a search box would clear its text
    closeSuggestions();
  }
});
window.addEventListener("popstate", () => { readUrl(); run(false); });
readUrl();
run(false);
