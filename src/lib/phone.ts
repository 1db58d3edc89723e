/**
 * Phone numbers are stored in E.164. Numbers without a leading "+" are read
 * in the configured default region (DEFAULT_PHONE_REGION, "US" by default).
 * libphonenumber-js does the parsing: formats like "(123) 456-7890",
 * "123.456.7890", "+1 123 456 7890" and "001..." all land on one E.164 form.
 */
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";

export function normalizePhone(raw: string, defaultRegion = "US"): string | null {
  const trimmed = raw.trim();
  if (!trimmed) return null;
  const parsed = parsePhoneNumberFromString(trimmed, { defaultCountry: defaultRegion.toUpperCase() as CountryCode });
  if (parsed?.number) return parsed.number;
  // Not a plausible number for the region: keep the digits (with "+") so the
  // same input always maps to the same key, without inventing a country code.
  const digits = trimmed.replace(/[^\d]/g, "");
  if (digits.length < 4 || digits.length > 15) return null;
  return `+${digits}`;
}
