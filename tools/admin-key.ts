/**
 * `npm run admin-key [ownerId]`: creates an admin API key in the database named by LIBSQL_URL
 * (and LIBSQL_AUTH_TOKEN) and prints it once. For bootstrapping production; in development
 * `npm run dev` seeds one for you.
 */
import { createClient } from "@libsql/client";
import { createApiKey } from "../src/kit/auth";

const url = process.env.LIBSQL_URL;
if (!url) {
  console.error("Set LIBSQL_URL (and LIBSQL_AUTH_TOKEN for Turso) to the database to create the key in.");
  process.exit(2);
}
const ownerId = process.argv[2] ?? "adm_root";
if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(ownerId)) {
  console.error("The owner id must be 1–64 characters of A–Z a–z 0–9 _ . : -");
  process.exit(2);
}
const token = process.env.LIBSQL_AUTH_TOKEN;
const client = createClient({ url, ...(token ? { authToken: token } : {}), intMode: "bigint" });
const { record, plaintext } = await createApiKey(client, { ownerId, role: "admin", name: "bootstrap admin" });
client.close();
console.log(`Admin key ${record.id} for ${ownerId} (shown once):\n${plaintext}`);
