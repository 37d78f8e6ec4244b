/**
 * Calls the API from the dashboard and shows its errors: a failed call throws an `ApiProblem`
 * built from the RFC 9457 problem details (title, detail, field errors), which `showProblem`
 * renders as text — never raw JSON. `withProgress` marks a region busy during long operations.
 */
import { apiKey } from "./session.js";

/** A failed API call: the problem's title, detail, code, status and field errors. */
export class ApiProblem extends Error {
  constructor({ title, detail = "", code = "", status = 0, errors = [] }) {
    super(title);
    this.name = "ApiProblem";
    this.title = title;
    this.detail = detail;
    this.code = code;
    this.status = status;
    this.errors = errors;
  }

  /** From a response body (problem details when the API sent them) and its status. */
  static from(body, status) {
    if (body && typeof body === "object" && typeof body.title === "string") {
      return new ApiProblem({
        title: body.title,
        detail: typeof body.detail === "string" ? body.detail : "",
        code: typeof body.code === "string" ? body.code : "",
        status,
        errors: Array.isArray(body.errors) ? body.errors : [],
      });
    }
    return new ApiProblem({ title: `The service answered ${status}`, status });
  }
}

/**
 * Calls `path` on this origin. JSON in, JSON out; sends the stored API key unless `auth` is false;
 * a POST/PUT/PATCH/DELETE gets a fresh Idempotency-Key. Throws `ApiProblem` on failure.
 */
export async function api(path, { method = "GET", body, auth = true, signal } = {}) {
  const headers = { accept: "application/json" };
  const key = auth ? apiKey() : null;
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["idempotency-key"] = `web-${crypto.randomUUID()}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiProblem({ title: "The service cannot be reached", detail: String(error?.message ?? error) });
  }
  const type = response.headers.get("content-type") ?? "";
  const data = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) throw ApiProblem.from(data, response.status);
  return data;
}

/** Removes a problem shown earlier in `region` and the field marks in `form`. */
export function clearProblem(region, form) {
  if (region) {
    region.hidden = true;
    region.replaceChildren();
  }
  if (form) {
    for (const field of form.querySelectorAll("[aria-invalid=true]")) field.removeAttribute("aria-invalid");
    for (const note of form.querySelectorAll(".field-error")) note.remove();
  }
}

/**
 * The input of `form` a problem's field names: by `data-field` (the API's own name, e.g.
 * `query.minCores`, `hardware.cores`), else by `name`, trying the name without its `query.`,
 * `param.` or `header.` prefix too.
 */
export function fieldInput(form, field) {
  if (!form || typeof field !== "string" || field === "") return null;
  const bare = field.replace(/^(query|param|header)\./, "");
  for (const candidate of bare === field ? [field] : [field, bare]) {
    const name = CSS.escape(candidate);
    const found = form.querySelector(`[data-field="${name}"]`) ?? form.querySelector(`[name="${name}"]`);
    if (found) return found;
  }
  return null;
}

/**
 * Shows `error` in `region` (role=alert): the problem's title, its detail, and one line per field
 * error. When `form` is given, inputs whose `data-field` (or name) matches a field are marked
 * invalid with the message beside them.
 */
export function showProblem(region, error, form) {
  clearProblem(region, form);
  const problem =
    error instanceof ApiProblem
      ? error
      : new ApiProblem({ title: "Something went wrong", detail: String(error) });
  const title = document.createElement("strong");
  title.className = "problem-title";
  title.textContent = problem.title;
  region.append(title);
  if (problem.detail && problem.errors.length === 0) {
    const detail = document.createElement("p");
    detail.className = "problem-detail";
    detail.textContent = problem.detail;
    region.append(detail);
  }
  if (problem.errors.length > 0) {
    const list = document.createElement("ul");
    list.className = "problem-fields";
    for (const fieldError of problem.errors) {
      const item = document.createElement("li");
      item.textContent = `${fieldError.field}: ${fieldError.detail}`;
      list.append(item);
      const input = fieldInput(form, fieldError.field);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        const note = document.createElement("span");
        note.className = "field-error";
        note.textContent = fieldError.detail;
        input.insertAdjacentElement("afterend", note);
      }
    }
    region.append(list);
  }
  region.hidden = false;
}

/**
 * Runs `task` with `region` marked busy: aria-busy, an indeterminate progress bar, and the
 * region's submit buttons disabled. Returns the task's result.
 */
export async function withProgress(region, task, label = "Working…") {
  const bar = document.createElement("progress");
  bar.className = "busy";
  bar.setAttribute("aria-label", label);
  region.setAttribute("aria-busy", "true");
  const buttons = [...region.querySelectorAll("button[type=submit]")];
  for (const button of buttons) button.disabled = true;
  region.prepend(bar);
  try {
    return await task();
  } finally {
    bar.remove();
    region.removeAttribute("aria-busy");
    for (const button of buttons) button.disabled = false;
  }
}

/**
 * True when an API key is stored. Otherwise shows in `region` that the data needs one (instead of
 * calling the API for a certain 401) and returns false.
 */
export function haveKey(region, what = "This") {
  if (apiKey()) return true;
  region.replaceChildren();
  const title = document.createElement("strong");
  title.className = "problem-title";
  title.textContent = `${what} needs an API key: sign in with one in the header.`;
  region.append(title);
  region.hidden = false;
  return false;
}

/**
 * The one way every dashboard form submits: on submit, clears the previous problem, runs `task`
 * (given the form) with the form marked busy, and shows a failure's problem details in `region`
 * with each named field marked and its message beside it. Resolves to the task's result, or
 * undefined after a failure.
 */
export function onSubmit(form, region, task) {
  form.noValidate = true;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit(form, region, task);
  });
}

/** Runs one submission of `form` as `onSubmit` does (also for buttons outside a submit). */
export async function submit(form, region, task) {
  clearProblem(region, form);
  try {
    return await withProgress(form, () => task(form));
  } catch (error) {
    showProblem(region, error, form);
    return undefined;
  }
}
