// A product's page: its price in the page's locale, then rows of similar products and of those shoppers also viewed,
// from the JSON API. A row with nothing to show (an error, no hits, a service without the route) stays hidden.
"use strict";

const LOCALE = document.documentElement.lang;
const ROW_SIZE = 8;

// A price as the search page writes it (app.js's money): the currency's symbol where the locale has one.
function price(value, code) {
  if (code) {
    try {
      return new Intl.NumberFormat(LOCALE, { style: "currency", currency: code }).format(value);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error; // not a currency code: written after the number below
    }
  }
  const number = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  return `${number} ${code || ""}`.trim();
}

function card(hit) {
  const link = document.createElement("a");
  link.href = "/p/" + encodeURIComponent(hit.id);
  link.textContent = hit.title;
  const title = document.createElement("h3");
  title.append(link);
  const cost = document.createElement("p");
  cost.className = "price";
  cost.textContent = hit.price === null ? "" : price(hit.price, hit.currency);
  const item = document.createElement("li");
  item.className = "card";
  item.dataset.id = hit.id;
  item.append(pictureBox(hit, "medium"), title, cost);
  return item;
}

async function hitsOf(path) {
  try {
    const response = await fetch(path);
    const body = response.ok ? await response.json() : {};
    return Array.isArray(body.hits) ? body.hits : [];
  } catch {
    return []; // the service out of reach: the product is still shown
  }
}

function show(id, hits) {
  const row = document.getElementById(id);
  row.querySelector(".cards").replaceChildren(...hits.map(card));
  row.hidden = hits.length === 0;
}

async function rows(productId) {
  const base = `/api/products/${encodeURIComponent(productId)}`;
  const [similar, viewed] = await Promise.all([
    hitsOf(`${base}/similar?k=${ROW_SIZE}`),
    hitsOf(`${base}/also-viewed?k=${ROW_SIZE}`),
  ]);
  // the row shows what shoppers did (its similar filler belongs to the row above), and the row above leaves those out
  const alsoViewed = viewed.filter((hit) => hit.source === "also_viewed");
  const shown = new Set(alsoViewed.map((hit) => hit.id));
  show("also-viewed", alsoViewed);
  show("similar", similar.filter((hit) => !shown.has(hit.id)));
}

const product = document.getElementById("product");
if (product) {
  document.querySelectorAll(".price[data-price]").forEach((node) => {
    node.textContent = price(Number(node.dataset.price), node.dataset.currency);
  });
  rows(product.dataset.id);
}
