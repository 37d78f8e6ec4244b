/**
 * The header shared by every page: the site name, the page links (the current one marked with
 * aria-current) and the API key form. Each page's module calls `setUpPage()` first.
 */
import { setUpKeyForm } from "./session.js";

const pages = [
  ["/", "Market"],
  ["/calculator.html", "Calculator"],
  ["/auction.html", "Auction"],
  ["/prices.html", "Prices"],
  ["/farmer.html", "Farmer"],
];

/** Renders the header into `<header id="site-header">` and wires the key form. */
export function setUpPage() {
  const header = document.getElementById("site-header");
  if (!header) return;
  const here = location.pathname === "/index.html" ? "/" : location.pathname;
  const brand = document.createElement("a");
  brand.href = "/";
  brand.className = "brand";
  brand.textContent = "TFGrid market";
  const nav = document.createElement("nav");
  nav.setAttribute("aria-label", "Pages");
  const list = document.createElement("ul");
  for (const [href, label] of pages) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = href;
    link.textContent = label;
    if (href === here) link.setAttribute("aria-current", "page");
    item.append(link);
    list.append(item);
  }
  nav.append(list);

  const form = document.createElement("form");
  form.id = "key-form";
  form.className = "key-form";
  form.autocomplete = "off";
  const label = document.createElement("label");
  label.htmlFor = "api-key";
  label.textContent = "API key";
  const input = document.createElement("input");
  input.id = "api-key";
  input.name = "apiKey";
  input.type = "password";
  input.placeholder = "tfm_…";
  input.spellcheck = false;
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Use key";
  const forget = document.createElement("button");
  forget.type = "button";
  forget.dataset.action = "forget";
  forget.textContent = "Forget";
  const status = document.createElement("span");
  status.className = "key-status";
  status.setAttribute("role", "status");
  form.append(label, input, save, forget, status);

  header.replaceChildren(brand, nav, form);
  setUpKeyForm();
}
