// Product pictures on the shopper's pages: a square box of fixed size holding the catalogue's image, or a
// placeholder with the title's first letter (drawn by style.css, no request) where there is none or it fails to load.
// web/page.py draws the same box on the server; the names here start with "picture", apart from app.js's own.
"use strict";

// An http image is asked for over https, as browsers do for an https page's images: the page's CSP allows https only.
function pictureSource(url) {
  return url.replace(/^http:/i, "https:");
}

function pictureLetter(title) {
  return (Array.from(title.trim())[0] || "?").toLocaleUpperCase();
}

// The box for a product (a hit, a suggestion: anything with a title and an image or null); `size` is a class of
// style.css: tiny, small, medium, large.
function pictureBox(product, size) {
  const box = document.createElement("span");
  box.className = `picture ${size}`;
  box.dataset.letter = pictureLetter(product.title);
  if (!product.image) {
    pictureFailed(box, product.title);
    return box;
  }
  const image = document.createElement("img");
  image.alt = product.title;
  image.loading = "lazy";
  image.decoding = "async";
  image.addEventListener("error", () => pictureFailed(box, product.title), { once: true });
  image.src = pictureSource(product.image);
  box.append(image);
  return box;
}

// The placeholder instead of the image: the box itself becomes the image, named by the product's title.
function pictureFailed(box, title) {
  box.querySelector("img")?.remove();
  box.classList.add("empty");
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", title);
}

// Images rendered on the server: one may have failed before this script ran, so its error event is already past.
document.querySelectorAll(".picture img").forEach((image) => {
  const failed = () => pictureFailed(image.parentElement, image.alt);
  if (image.complete && image.naturalWidth === 0) failed();
  else image.addEventListener("error", failed, { once: true });
});
