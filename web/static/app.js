// The search page: keeps its state in the URL and renders /api/search responses.
"use strict";

const state = { q: "", mode: document.body.dataset.defaultMode, page: 1, category: "", brand: [], price_min: "", price_max: "", spell: true };
const PAGE_SIZE = 10;
const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
  children.forEach((child) => node.append(child));
  return node;
}

function queryString() {
  const params = new URLSearchParams({ q: state.q, mode: state.mode, page: state.page, k: PAGE_SIZE });
  if (state.category) params.set("category", state.category);
  state.brand.forEach((brand) => params.append("brand", brand));
  if (state.price_min !== "") params.set("price_min", state.price_min);
  if (state.price_max !== "") params.set("price_max", state.price_max);
  if (!state.spell) params.set("spell", "0");
  return params.toString();
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  state.q = params.get("q") || "";
  state.mode = params.get("mode") || state.mode;
  state.page = Number(params.get("page") || 1);
  state.category = params.get("category") || "";
  state.brand = params.getAll("brand");
  state.price_min = params.get("price_min") || "";
  state.price_max = params.get("price_max") || "";
  state.spell = params.get("spell") !== "0";
}

async function run(pushHistory = true) {
  $("q").value = state.q;
  $("mode").value = state.mode;
  $("price-min").value = state.price_min;
  $("price-max").value = state.price_max;
  if (!state.q.trim()) return;
  const query = queryString();
  if (pushHistory) history.pushState(null, "", "?" + query);
  const response = await fetch("/api/search?" + query);
  const body = await response.json();
  if (!response.ok) {
    $("summary").className = "error";
    $("summary").textContent = body.detail;
    $("results").replaceChildren();
    $("spelling").replaceChildren();
    return;
  }
  render(body);
}

function price(value, currency) {
  return value === null ? "" : `${value.toFixed(2)} ${currency || ""}`.trim();
}

function renderSpelling(body) {
  if (!body.corrected_query) {
    $("spelling").replaceChildren();
    return;
  }
  const asTyped = element("a", { href: "#" }, body.query);
  asTyped.addEventListener("click", (event) => { event.preventDefault(); state.spell = false; state.page = 1; run(); });
  $("spelling").replaceChildren("Showing results for ", element("strong", {}, body.corrected_query),
    ". Search instead for ", asTyped, ".");
}

function render(body) {
  $("summary").className = "";
  renderSpelling(body);
  const searched = body.corrected_query || body.query;
  const shown = body.hits.length ? `${(body.page - 1) * body.size + 1}–${(body.page - 1) * body.size + body.hits.length} of ` : "";
  $("summary").textContent = body.total
    ? `${shown}${body.total} results for “${searched}” in ${body.timings_ms.total.toFixed(1)} ms`
    : `No results for “${searched}” (${body.timings_ms.total.toFixed(1)} ms)`;
  $("results").replaceChildren(...body.hits.map((hit) =>
    element("li", { class: "result", "data-id": hit.id },
      element("span", { class: "price" }, price(hit.price, hit.currency)),
      element("h3", {}, hit.title),
      element("div", { class: "meta" }, [hit.brand, hit.category].filter(Boolean).join(" · ")),
      element("p", {}, hit.description))));
  renderFacet("facet-category", body.facets.category, (value) => value === state.category,
    (value) => { state.category = state.category === value ? "" : value; });
  renderFacet("facet-brand", body.facets.brand, (value) => state.brand.includes(value),
    (value) => { state.brand = state.brand.includes(value) ? state.brand.filter((b) => b !== value) : [...state.brand, value]; });
  const buckets = body.facets.price.map((bucket) => ({
    value: bucket.max === null ? `${bucket.min}+` : `${bucket.min}–${bucket.max}`, count: bucket.count, bucket,
  }));
  renderFacet("facet-price", buckets, () => false, (value, item) => {
    state.price_min = String(item.bucket.min);
    state.price_max = item.bucket.max === null ? "" : String(item.bucket.max);
  });
  renderChips();
  renderPages(body);
}

function renderFacet(id, items, selected, toggle) {
  $(id).replaceChildren(...items.map((item) => {
    const button = element("button", { type: "button", class: selected(item.value) ? "selected" : "" },
      element("span", {}, item.value), element("span", { class: "count" }, String(item.count)));
    button.addEventListener("click", () => { toggle(item.value, item); state.page = 1; run(); });
    return element("li", {}, button);
  }));
}

function renderChips() {
  const chips = [];
  const chip = (label, clear) => {
    const remove = element("button", { type: "button", "aria-label": `Remove ${label}` }, "×");
    remove.addEventListener("click", () => { clear(); state.page = 1; run(); });
    chips.push(element("span", { class: "chip" }, label, remove));
  };
  if (state.category) chip(state.category, () => { state.category = ""; });
  state.brand.forEach((brand) => chip(brand, () => { state.brand = state.brand.filter((b) => b !== brand); }));
  if (state.price_min !== "" || state.price_max !== "") {
    chip(`price ${state.price_min || 0}–${state.price_max || "∞"}`, () => { state.price_min = ""; state.price_max = ""; });
  }
  $("active-filters").replaceChildren(...chips);
}

function renderPages(body) {
  const pages = Math.ceil(body.total / body.size);
  const buttons = [];
  for (let number = 1; number <= Math.min(pages, 10); number += 1) {
    const button = element("button", { type: "button" }, String(number));
    if (number === body.page) button.setAttribute("aria-current", "page");
    button.addEventListener("click", () => { state.page = number; run(); window.scrollTo(0, 0); });
    buttons.push(button);
  }
  $("pagination").replaceChildren(...(pages > 1 ? buttons : []));
}

function onSubmit(id, update) {
  $(id).addEventListener("submit", (event) => { event.preventDefault(); update(); state.page = 1; run(); });
}
onSubmit("search-form", () => { state.q = $("q").value; state.mode = $("mode").value; state.spell = true; });
onSubmit("price-form", () => { state.price_min = $("price-min").value; state.price_max = $("price-max").value; });
window.addEventListener("popstate", () => { readUrl(); run(false); });
readUrl();
run(false);
