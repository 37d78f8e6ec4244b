/**
 * The API key typed into the page, kept in sessionStorage (this tab only, gone when it closes),
 * with who the key belongs to (GET /v1/me: owner, role) cached beside it, so every page knows the
 * signed-in owner without asking for an id.
 */
const storageKey = "tfgrid-market.apiKey";
const meStorageKey = "tfgrid-market.me";
const keyPattern = /^tfm_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;

/** The stored API key, or null. */
export function apiKey() {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

/** True when `key` looks like an API key (tfm_…_…). */
export function looksLikeKey(key) {
  return keyPattern.test(key.trim());
}

/** Stores `key` for this tab (and forgets the owner cached for the previous key). */
export function rememberKey(key) {
  const trimmed = key.trim();
  if (!keyPattern.test(trimmed)) return false;
  sessionStorage.setItem(storageKey, trimmed);
  sessionStorage.removeItem(meStorageKey);
  return true;
}

/** Forgets the stored key and its owner (the header announces the change: `apikeychange`). */
export function forgetKey() {
  sessionStorage.removeItem(storageKey);
  sessionStorage.removeItem(meStorageKey);
}

/** The cached answer of GET /v1/me for the stored key, or null. */
export function cachedMe() {
  try {
    const text = sessionStorage.getItem(meStorageKey);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** Caches the answer of GET /v1/me for the stored key. */
export function rememberMe(me) {
  sessionStorage.setItem(meStorageKey, JSON.stringify(me));
}
