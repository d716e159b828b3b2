// Search attributes and memo: the zod schemas that check them at the engine's boundary, and
// (re-exported from the zod-free search-attribute-checks.ts, which workflow code imports) their
// names, values and how an upsert merges into them.
import * as z from 'zod';
import { isSystemSearchAttribute, SEARCH_ATTRIBUTE_NAME } from './search-attribute-checks.ts';
import type * as checks from './search-attribute-checks.ts';
import { INDEXED_VALUE_TYPES } from './search-attribute-types.ts';

export {
  isSearchAttributeValue,
  isSystemSearchAttribute,
  mergeMemo,
  mergeSearchAttributes,
  normaliseSearchAttributes,
  reservedSearchAttributeProblem,
  SEARCH_ATTRIBUTE_NAME,
  SystemSearchAttributes,
} from './search-attribute-checks.ts';
export type { SearchAttributes, SystemSearchAttribute } from './search-attribute-checks.ts';

/** One custom search attribute value (see search-attribute-checks.ts). */
export type SearchAttributeValue = checks.SearchAttributeValue;
export const SearchAttributeValue = z.union([
  z.string(),
  z.number().refine(Number.isFinite, 'must be a finite number'),
  z.boolean(),
  z.array(z.string()),
]) satisfies z.ZodType<SearchAttributeValue>;

const SearchAttributeName = z
  .string()
  .regex(
    SEARCH_ATTRIBUTE_NAME,
    'a search attribute name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)',
  )
  .refine((name) => !isSystemSearchAttribute(name), 'a system search attribute cannot be set');

/**
 * Search attributes as given to start or upsert: a `null` or empty-array value removes the
 * attribute (on start: leaves it unset).
 */
export type SearchAttributesUpsert = checks.SearchAttributesUpsert;
export const SearchAttributesUpsert = z.record(
  SearchAttributeName,
  z.union([SearchAttributeValue, z.null()]),
) satisfies z.ZodType<SearchAttributesUpsert>;

/**
 * The types of the typed keys a start or an upsert gave its values with (name → type): a name
 * not registered yet is registered with its key's type rather than its value's.
 */
export const SearchAttributeKeyTypes = z.record(z.string(), z.enum(INDEXED_VALUE_TYPES));

/** A memo upsert: any JSON values; `null` removes the key (Temporal's upsertMemo). */
export const MemoUpsert = z.record(z.string().min(1), z.unknown());
export type Memo = Record<string, unknown>;
