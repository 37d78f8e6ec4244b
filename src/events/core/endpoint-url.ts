/**
 * Which URLs a webhook endpoint may have. Pure: the environment is an argument.
 *
 * - at most `endpointUrlCharsMax` characters, no user name or password in it, no fragment;
 * - `https:` where ENVIRONMENT is production (`http:` is accepted elsewhere, for local receivers);
 * - outside development and test, no host that names this machine or a private network:
 *   `localhost` (and `*.localhost`), IPv4 loopback 127/8, "this network" 0/8, private 10/8,
 *   172.16/12, 192.168/16, shared 100.64/10, link-local 169.254/16 (cloud metadata) and the
 *   IPv6 loopback, unspecified, unique-local fc00::/7, link-local fe80::/10 and IPv4-mapped
 *   forms of the above. A DNS name that resolves to such an address cannot be checked from a
 *   Worker (it has no resolver); Cloudflare's fetch does not reach private networks anyway.
 */
import { fail, ok, type Result } from "../../kit/result";

/** Longest endpoint URL, in characters. */
export const endpointUrlCharsMax = 2048;

/** Whether loopback and private hosts are allowed: only where ENVIRONMENT is development or test. */
function allowsPrivateHosts(environment: string): boolean {
  return environment === "development" || environment === "test";
}

function ipv4Octets(host: string): number[] | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!match) return null;
  const octets = match.slice(1).map(Number);
  return octets.every((octet) => octet <= 255) ? octets : null;
}

function isPrivateIpv4([a, b]: number[]): boolean {
  if (a === undefined || b === undefined) return false;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168)
  );
}

function isPrivateIpv6(bracketed: string): boolean {
  const host = bracketed.slice(1, -1).toLowerCase();
  if (host === "::1" || host === "::") return true;
  if (/^f[cd][0-9a-f]{0,2}:/.test(host)) return true;
  if (/^fe[89ab][0-9a-f]?:/.test(host)) return true;
  const mapped = /^::ffff:(.+)$/.exec(host);
  if (mapped) {
    const tail = mapped[1]!;
    const dotted = ipv4Octets(tail);
    if (dotted) return isPrivateIpv4(dotted);
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
    if (hex) {
      const high = Number.parseInt(hex[1]!, 16);
      return isPrivateIpv4([high >> 8, high & 255]);
    }
    return true;
  }
  return false;
}

/** Whether `hostname` (as `URL` normalises it) names this machine or a private network. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.startsWith("[")) return isPrivateIpv6(host);
  const octets = ipv4Octets(host);
  return octets !== null && isPrivateIpv4(octets);
}

/** The endpoint URL, normalised, or why not (a VALIDATION_FAILED failure naming `url`). */
export function checkEndpointUrl(text: string, environment: string): Result<string> {
  if (text.length > endpointUrlCharsMax) {
    return fail("VALIDATION_FAILED", `must be at most ${endpointUrlCharsMax} characters`, "url");
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail("VALIDATION_FAILED", "must be an absolute URL", "url");
  }
  if (
    environment === "production" ? url.protocol !== "https:" : !["https:", "http:"].includes(url.protocol)
  ) {
    return fail(
      "VALIDATION_FAILED",
      environment === "production" ? "must be an https URL" : "must be an http or https URL",
      "url",
    );
  }
  if (url.username !== "" || url.password !== "") {
    return fail("VALIDATION_FAILED", "must not carry a user name or password", "url");
  }
  if (url.hash !== "") return fail("VALIDATION_FAILED", "must not have a fragment", "url");
  if (!allowsPrivateHosts(environment) && isPrivateHost(url.hostname)) {
    return fail("VALIDATION_FAILED", "must not name a loopback, link-local or private address", "url");
  }
  return ok(url.toString());
}
