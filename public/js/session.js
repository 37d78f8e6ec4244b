/**
 * The API key typed into the page, kept in sessionStorage (this tab only, gone when it closes),
 * and the header's key form shared by every page.
 */
const storageKey = "tfgrid-market.apiKey";
const keyPattern = /^tfm_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;

/** The stored API key, or null. */
export function apiKey() {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

/** Stores `key` for this tab; returns false when it does not look like an API key. */
export function rememberKey(key) {
  const trimmed = key.trim();
  if (!keyPattern.test(trimmed)) return false;
  sessionStorage.setItem(storageKey, trimmed);
  window.dispatchEvent(new CustomEvent("apikeychange"));
  return true;
}

/** Forgets the stored key. */
export function forgetKey() {
  sessionStorage.removeItem(storageKey);
  window.dispatchEvent(new CustomEvent("apikeychange"));
}

/** Wires the header's key form (`#key-form`): save, forget, and a status line. */
export function setUpKeyForm() {
  const form = document.getElementById("key-form");
  if (!form) return;
  const input = form.querySelector("input[name=apiKey]");
  const status = form.querySelector(".key-status");
  const forget = form.querySelector("button[data-action=forget]");
  const show = () => {
    const key = apiKey();
    status.textContent = key ? `Key ${key.slice(0, 16)}… in use (this tab only)` : "No key: public data only";
    forget.hidden = !key;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (rememberKey(input.value)) {
      input.value = "";
      input.removeAttribute("aria-invalid");
    } else {
      input.setAttribute("aria-invalid", "true");
      status.textContent = "That does not look like an API key (tfm_…_…)";
      return;
    }
    show();
  });
  forget.addEventListener("click", () => {
    forgetKey();
    show();
  });
  show();
}
