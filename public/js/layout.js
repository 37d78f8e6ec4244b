/**
 * The header shared by every page: the site name, the pages the signed-in role may use (the
 * current one marked with aria-current) and the sign-in by API key. Signing in stores the key for
 * this tab and reads its owner and role from GET /v1/me; each page's module awaits `setUpPage()`
 * first and gets that answer (or null when no key is in use).
 */
import { ApiProblem, api } from "./api.js";
import { apiKey, cachedMe, forgetKey, looksLikeKey, rememberKey, rememberMe } from "./session.js";

const anyRole = ["admin", "user", "farmer", "lp", "oracle"];

/** Every page, and the roles it is listed for (no roles: listed for everyone, signed in or not). */
export const pages = [
  { href: "/", label: "Market" },
  { href: "/calculator.html", label: "Calculator" },
  { href: "/account.html", label: "Account", roles: anyRole },
  { href: "/farmer.html", label: "Farmer", roles: ["farmer", "admin"] },
  { href: "/pools.html", label: "Pools", roles: ["lp", "admin"] },
  { href: "/auction.html", label: "Auction", roles: anyRole },
  { href: "/prices.html", label: "Prices", roles: anyRole },
];

/** The pages listed for `me` (null: not signed in), always with the page shown now. */
export function pagesFor(me, here) {
  return pages.filter(
    (page) =>
      pathOf(page.href) === here || page.roles === undefined || (me !== null && page.roles.includes(me.role)),
  );
}

/** The owner and role of the key in use (GET /v1/me, cached for the tab), or null. */
export async function whoAmI() {
  if (!apiKey()) return null;
  const cached = cachedMe();
  if (cached) return cached;
  const me = await api("/v1/me");
  rememberMe(me);
  return me;
}

/** A page's path without ".html" ("/farmer.html" and "/farmer" are one page; "/index" is "/"). */
function pathOf(href) {
  const bare = href.replace(/\.html$/, "");
  return bare === "/index" ? "/" : bare;
}

function here() {
  return pathOf(location.pathname);
}

function renderNav(nav, me) {
  const list = document.createElement("ul");
  for (const page of pagesFor(me, here())) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = page.href;
    link.textContent = page.label;
    if (pathOf(page.href) === here()) link.setAttribute("aria-current", "page");
    item.append(link);
    list.append(item);
  }
  nav.replaceChildren(list);
}

function signInForm(onChange) {
  const form = document.createElement("form");
  form.id = "key-form";
  form.className = "key-form";
  form.autocomplete = "off";
  form.noValidate = true;
  const label = document.createElement("label");
  label.htmlFor = "api-key";
  label.textContent = "API key";
  const input = document.createElement("input");
  input.id = "api-key";
  input.name = "apiKey";
  input.type = "password";
  input.placeholder = "tfm_…";
  input.spellcheck = false;
  input.setAttribute("aria-describedby", "key-status");
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Sign in";
  const status = document.createElement("span");
  status.className = "key-status";
  status.id = "key-status";
  status.setAttribute("role", "status");
  status.textContent = "Not signed in: public data only";
  form.append(label, input, save, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    input.removeAttribute("aria-invalid");
    if (!looksLikeKey(input.value)) {
      input.setAttribute("aria-invalid", "true");
      status.textContent = "That does not look like an API key (tfm_…_…)";
      return;
    }
    rememberKey(input.value);
    save.disabled = true;
    try {
      const me = await whoAmI();
      input.value = "";
      onChange(me);
    } catch (error) {
      forgetKey();
      input.setAttribute("aria-invalid", "true");
      status.textContent =
        error instanceof ApiProblem
          ? `${error.title}${error.detail ? `: ${error.detail}` : ""}`
          : String(error);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function signedInBox(me, onChange) {
  const box = document.createElement("div");
  box.id = "key-form";
  box.className = "key-form";
  const who = document.createElement("span");
  who.className = "key-status";
  who.id = "signed-in";
  who.setAttribute("role", "status");
  who.textContent = `${me.ownerId} · ${me.role}`;
  who.title = `Key ${me.keyId}${me.keyName ? ` (${me.keyName})` : ""}, kept for this tab only`;
  const out = document.createElement("button");
  out.type = "button";
  out.textContent = "Sign out";
  out.addEventListener("click", () => {
    forgetKey();
    onChange(null);
  });
  box.append(who, out);
  return box;
}

/**
 * Renders the header into `<header id="site-header">` and resolves to the signed-in owner and
 * role (GET /v1/me) or null. Signing in or out later fires `apikeychange` on window.
 */
export async function setUpPage() {
  const header = document.getElementById("site-header");
  const brand = document.createElement("a");
  brand.href = "/";
  brand.className = "brand";
  brand.textContent = "TFGrid market";
  const nav = document.createElement("nav");
  nav.setAttribute("aria-label", "Pages");
  const show = (me, announce) => {
    renderNav(nav, me);
    const box = me ? signedInBox(me, (next) => show(next, true)) : signInForm((next) => show(next, true));
    header?.replaceChildren(brand, nav, box);
    if (announce) window.dispatchEvent(new CustomEvent("apikeychange", { detail: me }));
  };
  let me = null;
  let failure = null;
  try {
    me = await whoAmI();
  } catch (error) {
    failure = error;
    if (error instanceof ApiProblem && (error.status === 401 || error.status === 403)) forgetKey();
  }
  show(me, false);
  if (failure) {
    const status = document.getElementById("key-status");
    if (status) status.textContent = `The stored key was not accepted: ${failure.title ?? failure}`;
  }
  return me;
}
