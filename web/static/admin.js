// The merchandiser's page: previews a query with and without the shop's rules, pins and hides its hits through a
// rule for exactly that query, and edits synonyms and rules, all through the merchandising API. The browser sends
// the Basic credentials it logged in with on every call, so this script holds no token.
"use strict";

const $ = (id) => document.getElementById(id);
const LABELS = JSON.parse($("labels").textContent); // web/admin_labels.py's table for the catalogue's language
const LOCALE = document.documentElement.lang;
const COUNT = new Intl.NumberFormat(LOCALE);
const SIZE = Number(document.body.dataset.size);
const state = { q: "", mode: document.body.dataset.defaultMode, rules: [] };
let asked = 0; // the latest preview asked for: an older answer arriving late is dropped

class ApiError extends Error {} // its message is for the merchandiser: the API's detail, in a label

// A label with its {names} replaced by values.
function text(key, values = {}) {
  return LABELS[key].replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
  children.forEach((child) => node.append(child));
  return node;
}

function button(label, action, attributes = {}) {
  const node = element("button", { type: "button", ...attributes }, label);
  node.addEventListener("click", () => attempt(action));
  return node;
}

function money(value, code) {
  if (value === null || value === undefined) return "";
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency: code || "EUR" }).format(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error; // not a currency code: written after the number
    return `${COUNT.format(value)} ${code}`;
  }
}

function say(message, error = false) {
  $("message").textContent = message;
  $("message").className = error ? "error" : "";
}

// Runs `work`, showing a refusal's detail (an invalid synonym, a rule that does nothing) instead of failing.
async function attempt(work) {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    say(error.message, true);
  }
}

async function api(method, path, body, version) {
  const options = { method, headers: { Accept: "application/json" } };
  if (version !== undefined) options.headers["If-Match"] = `"${version}"`; // 409 if someone changed them since
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(text("error_network"));
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(text("error", { detail: answer.detail || `${response.status} ${response.statusText}` }));
  return answer;
}

// The rule that pins and hides for exactly one query. Its id is the query's slug ("Red Kettle" and "red-kettle"
// are one query to the engine, and one rule here); a query with letters a slug leaves out (Chinese, accents), or too
// long for an id, gets a hash of its text as well, so two such queries never share a rule.
function ruleId(query) {
  const typed = query.trim().toLowerCase().replace(/\s+/g, " ");
  const slug = typed.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  // letters, digits and single spaces map one to one onto the slug; anything else ("a_b", "a-b", Chinese) would
  // fold two queries into one id, so a hash of the whole query tells them apart
  const whole = slug.length <= 80 && /^[a-z0-9]+( [a-z0-9]+)*$/.test(typed);
  return "q-" + (whole ? slug : [slug.slice(0, 80), fnv1a(typed)].filter(Boolean).join("-"));
}

function fnv1a(typed) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(typed)) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function queryRule() {
  return state.rules.find((rule) => rule.id === ruleId(state.q));
}

// Changes the query's rule with `edit(rule)`, keeping its other pins and hides, then shows the preview again.
// Read afresh first: another merchandiser may have changed it since the list was loaded.
async function changeQueryRule(edit) {
  const query = state.q.trim();
  const id = ruleId(query);
  await loadRules();
  const found = queryRule();
  const rule = found ? { ...found } : { condition: { query, match: "exact" }, description: text("rule_description", { query }) };
  delete rule.id;
  delete rule.enabled; // a pin or hide made here is meant to show at once: its rule is on again
  rule.pin = rule.pin || [];
  rule.hide = rule.hide || [];
  edit(rule);
  ["pin", "hide"].forEach((key) => { if (!rule[key].length) delete rule[key]; });
  if (rule.pin || rule.hide || rule.boost || rule.filter || rule.redirect) {
    await api("PUT", "/api/rules/" + encodeURIComponent(id), rule, state.version);
  } else if (found) { // the last pin or hide undone: a rule that did nothing would be refused
    await api("DELETE", "/api/rules/" + encodeURIComponent(id), undefined, state.version);
  }
  say(text("saved", { id }));
  await refresh();
}

function pinHere(hit, position) {
  return changeQueryRule((rule) => {
    rule.pin = rule.pin.filter((pin) => pin.id !== hit.id && pin.position !== position);
    rule.pin.push({ id: hit.id, position });
    rule.pin.sort((a, b) => a.position - b.position);
    rule.hide = rule.hide.filter((id) => id !== hit.id);
  });
}

function hide(hit) {
  return changeQueryRule((rule) => {
    rule.pin = rule.pin.filter((pin) => pin.id !== hit.id);
    if (!rule.hide.includes(hit.id)) rule.hide.push(hit.id);
  });
}

function unpin(hit) {
  return changeQueryRule((rule) => { rule.pin = rule.pin.filter((pin) => pin.id !== hit.id); });
}

function unhide(hit) {
  return changeQueryRule((rule) => { rule.hide = rule.hide.filter((id) => id !== hit.id); });
}

async function preview(pushHistory = true) {
  $("q").value = state.q;
  $("mode").value = state.mode;
  const url = state.q.trim() ? "?" + new URLSearchParams({ q: state.q, mode: state.mode }) : location.pathname;
  if (pushHistory && url !== location.pathname + location.search) history.pushState(null, "", url);
  if (!state.q.trim()) {
    $("preview").hidden = true;
    return;
  }
  const mine = ++asked;
  const body = await api("POST", "/api/preview?" + new URLSearchParams({ q: state.q, mode: state.mode, k: SIZE }));
  if (mine === asked) renderPreview(body);
}

function renderPreview(body) {
  const rule = state.rules.find((candidate) => candidate.id === ruleId(state.q) && body.with.rules.includes(candidate.id));
  const pinned = new Map((rule?.pin || []).map((pin) => [pin.id, pin.position]));
  const hidden = new Set(rule?.hide || []);
  const shown = new Set(body.with.hits.map((hit) => hit.id));
  renderSide("with", body.with, (hit, position) => (pinned.has(hit.id)
    ? [element("span", { class: "badge" }, text("pinned")), button(text("unpin"), () => unpin(hit), { class: "unpin" })]
    : [button(text("pin_here"), () => pinHere(hit, position), { class: "pin" }), button(text("hide"), () => hide(hit), { class: "hide" })]));
  renderSide("without", body.without, (hit) => (hidden.has(hit.id)
    ? [element("span", { class: "badge" }, text("hidden")), button(text("unhide"), () => unhide(hit), { class: "unhide" })]
    : []), (hit) => !shown.has(hit.id));
  const applied = body.with.rules;
  $("applied").textContent = applied.length ? text("applied", { rules: applied.join(", ") }) : text("applied_none");
  $("redirect").hidden = !body.with.redirect;
  $("redirect").textContent = body.with.redirect ? text("redirect", { url: body.with.redirect }) : "";
  $("preview").hidden = false;
}

// One side of the preview; `actions(hit, position)` gives its buttons, and `gone(hit)` marks a hit the rules left out.
function renderSide(side, answer, actions, gone = () => false) {
  const section = $(side);
  section.querySelector(".total").textContent = text("total", { total: COUNT.format(answer.total) });
  section.querySelector(".hits").replaceChildren(...answer.hits.map((hit, at) => {
    const meta = [hit.id, hit.brand, money(hit.price, hit.currency)].filter(Boolean).join(" · ");
    return element("li", { class: gone(hit) ? "hit gone" : "hit", "data-id": hit.id },
      element("span", { class: "position" }, COUNT.format(at + 1)),
      element("div", { class: "what" }, element("strong", {}, hit.title), element("span", { class: "meta" }, meta)),
      element("div", { class: "actions" }, ...actions(hit, at + 1)));
  }));
}

async function remove(kind, id) {
  if (!confirm(text("confirm_delete", { id }))) return;
  await api("DELETE", `/api/${kind}/${encodeURIComponent(id)}`);
  say(text("deleted", { id }));
  await refresh();
}

function emptyRow(columns) {
  return element("tr", { class: "none" }, element("td", { colspan: String(columns) }, text("none")));
}

async function loadSynonyms() {
  const { synonyms } = await api("GET", "/api/synonyms");
  $("synonym-list").replaceChildren(...(synonyms.length ? synonyms.map((entry) => element("tr", { "data-id": entry.id },
    element("th", { scope: "row" }, entry.id),
    element("td", entry.root ? { title: text("one_way", { root: entry.root }) } : {}, entry.root || ""),
    element("td", {}, entry.synonyms.join(", ")),
    element("td", {}, button(text("delete"), () => remove("synonyms", entry.id), { class: "delete" })))) : [emptyRow(4)]));
}

async function addSynonym() {
  const id = $("synonym-id").value.trim();
  const body = { synonyms: $("synonym-phrases").value.split(/[,，、;；]/).map((phrase) => phrase.trim()).filter(Boolean) };
  if ($("synonym-root").value.trim()) body.root = $("synonym-root").value.trim();
  await api("PUT", "/api/synonyms/" + encodeURIComponent(id), body);
  $("synonym-form").reset();
  say(text("saved", { id }));
  await refresh();
}

async function loadRules() {
  const answer = await api("GET", "/api/rules");
  state.rules = answer.rules;
  state.version = answer.version; // the settings' version these rules were read at
  $("rule-list").replaceChildren(...(state.rules.length ? state.rules.map(ruleRow) : [emptyRow(5)]));
}

function ruleRow(rule) {
  const enabled = rule.enabled !== false;
  const toggle = async () => {
    const body = { ...rule, enabled: !enabled };
    delete body.id;
    await api("PUT", "/api/rules/" + encodeURIComponent(rule.id), body);
    say(text("saved", { id: rule.id }));
    await refresh();
  };
  const name = element("th", { scope: "row" }, rule.id);
  if (rule.description) name.append(element("small", {}, rule.description));
  return element("tr", { "data-id": rule.id, class: enabled ? "on" : "off" }, name,
    element("td", {}, condition(rule)),
    element("td", {}, consequences(rule)),
    element("td", { class: "state" }, text(enabled ? "on" : "off")),
    element("td", {}, button(text(enabled ? "disable" : "enable"), toggle, { class: "toggle" }),
      button(text("delete"), () => remove("rules", rule.id), { class: "delete" })));
}

function condition(rule) {
  const when = rule.condition || {};
  const parts = [];
  if (when.query) parts.push(text(when.match === "contains" ? "cond_contains" : "cond_exact", { query: when.query }));
  if (when.category) parts.push(text("cond_category", { value: when.category }));
  if (when.brand) parts.push(text("cond_brand", { value: when.brand }));
  if (!parts.length) parts.push(text("cond_any"));
  if (rule.active_from) parts.push(text("cond_from", { date: rule.active_from }));
  if (rule.active_until) parts.push(text("cond_until", { date: rule.active_until }));
  return parts.join("; ");
}

function consequences(rule) {
  const parts = (rule.pin || []).map((pin) => text("does_pin", { id: pin.id, position: COUNT.format(pin.position) }));
  if (rule.hide?.length) parts.push(text("does_hide", { ids: rule.hide.join(", ") }));
  (rule.boost || []).forEach((boost) => parts.push(text(boost.strength > 0 ? "does_boost" : "does_bury",
    { filter: filterText(boost.filter), strength: boost.strength })));
  if (rule.filter) parts.push(text("does_filter", { filter: filterText(rule.filter) }));
  if (rule.redirect) parts.push(text("does_redirect", { url: rule.redirect }));
  return parts.join("; ");
}

function filterText(filter) { // the API's field names: they are what a rule's JSON says
  return Object.entries(filter).map(([key, value]) =>
    `${key}: ${Array.isArray(value) ? value.join(" / ") : typeof value === "object" ? JSON.stringify(value) : value}`).join(", ");
}

async function refresh() {
  await Promise.all([loadSynonyms(), loadRules()]);
  await preview(false);
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  state.q = params.get("q") || "";
  state.mode = params.get("mode") || document.body.dataset.defaultMode;
}

$("preview-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.q = $("q").value;
  state.mode = $("mode").value;
  say("");
  attempt(preview);
});
$("synonym-form").addEventListener("submit", (event) => { event.preventDefault(); attempt(addSynonym); });
window.addEventListener("popstate", () => { readUrl(); attempt(() => preview(false)); });
readUrl();
attempt(refresh);
