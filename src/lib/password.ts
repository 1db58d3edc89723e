/**
 * Password hashing with scrypt (@noble/hashes), a memory-hard KDF.
 *
 * Parameters: N=2^14, r=8, p=1 (16 MiB). Measured on the development machine
 * (see README "Password hashing"): ~60 ms of CPU per hash, inside the Workers
 * paid-plan CPU budget while staying well under the 128 MB isolate memory.
 * The parameters are stored with every hash, so they can be raised later
 * without invalidating existing passwords.
 */
import { scrypt } from "@noble/hashes/scrypt.js";

const PARAMS = { N: 2 ** 14, r: 8, p: 1, dkLen: 32 } as const;

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const dk = scrypt(password, salt, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${b64(salt)}$${b64(dk)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split("$");
  if (kind !== "scrypt" || !hash) return false;
  const expected = unb64(hash);
  const dk = scrypt(password, unb64(salt), { N: Number(n), r: Number(r), p: Number(p), dkLen: expected.length });
  // constant-time comparison
  let diff = dk.length ^ expected.length;
  for (let i = 0; i < dk.length; i++) diff |= dk[i] ^ expected[i];
  return diff === 0;
}
