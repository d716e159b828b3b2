// Temporal's typed search attributes (`defineSearchAttributeKey`, `SearchAttributeType`,
// `TypedSearchAttributes`), built on the untyped map the engine stores and indexes: a typed value
// is checked against its key's type and written as the untyped value of that type (a DATETIME as
// its ISO string), and a stored map is read back with types inferred from its values. Sandbox-safe
// and zod-free: workflow code bundles it.
import { InvalidArgumentError } from '../errors.ts';
import { normaliseSearchAttributes } from './search-attribute-checks.ts';
import type { SearchAttributesUpsert } from './search-attribute-checks.ts';
import { indexedTypeOfKey } from './search-attribute-types.ts';
import type { SearchAttributeTypes } from './search-attribute-types.ts';

/** The type of a search attribute. Temporal's `SearchAttributeType`. */
export const SearchAttributeType = {
  TEXT: 'TEXT',
  KEYWORD: 'KEYWORD',
  INT: 'INT',
  DOUBLE: 'DOUBLE',
  BOOL: 'BOOL',
  DATETIME: 'DATETIME',
  KEYWORD_LIST: 'KEYWORD_LIST',
} as const;
export type SearchAttributeType = (typeof SearchAttributeType)[keyof typeof SearchAttributeType];

/** The value each search attribute type takes. */
export interface SearchAttributeValueOfType {
  TEXT: string;
  KEYWORD: string;
  INT: number;
  DOUBLE: number;
  BOOL: boolean;
  DATETIME: Date;
  KEYWORD_LIST: string[];
}

/** What a value of each type must be, as error messages say it. */
const EXPECTED: Record<SearchAttributeType, string> = {
  TEXT: 'a string',
  KEYWORD: 'a string',
  INT: 'an integer (a number without a fraction)',
  DOUBLE: 'a finite number',
  BOOL: 'a boolean',
  DATETIME: 'a valid Date',
  KEYWORD_LIST: 'an array of strings',
};

/** A search attribute's name and type. Temporal's `SearchAttributeKey`. */
export interface SearchAttributeKey<T extends SearchAttributeType = SearchAttributeType> {
  readonly name: string;
  readonly type: T;
}

/** A typed search attribute: its key and a value of the key's type. */
export type SearchAttributePair = {
  [T in SearchAttributeType]: {
    readonly key: SearchAttributeKey<T>;
    readonly value: SearchAttributeValueOfType[T];
  };
}[SearchAttributeType];

/** A typed search attribute to set, or (value `null`) to remove. */
export type SearchAttributeUpdatePair = {
  [T in SearchAttributeType]: {
    readonly key: SearchAttributeKey<T>;
    readonly value: SearchAttributeValueOfType[T] | null;
  };
}[SearchAttributeType];

function isSearchAttributeType(type: unknown): type is SearchAttributeType {
  return typeof type === 'string' && Object.hasOwn(SearchAttributeType, type);
}

/**
 * Defines the key of a typed search attribute. Temporal's `defineSearchAttributeKey`. Throws
 * `InvalidArgumentError` for a type that is not one of {@link SearchAttributeType}'s.
 *
 * @example
 * ```ts
 * export const CustomerKey = defineSearchAttributeKey('Customer', SearchAttributeType.KEYWORD);
 * export const AmountKey = defineSearchAttributeKey('Amount', SearchAttributeType.INT);
 * ```
 */
export function defineSearchAttributeKey<T extends SearchAttributeType>(
  name: string,
  type: T,
): SearchAttributeKey<T> {
  checkKey({ name, type }, 'defineSearchAttributeKey');
  return { name, type };
}

/** True when `value` is one the type takes (Temporal's `isValidValueForType`; NaN is not). */
export function isValidValueForType<T extends SearchAttributeType>(
  type: T,
  value: unknown,
): value is SearchAttributeValueOfType[T] {
  switch (type) {
    case SearchAttributeType.TEXT:
    case SearchAttributeType.KEYWORD:
      return typeof value === 'string';
    case SearchAttributeType.INT:
      return Number.isInteger(value);
    case SearchAttributeType.DOUBLE:
      return typeof value === 'number' && Number.isFinite(value);
    case SearchAttributeType.BOOL:
      return typeof value === 'boolean';
    case SearchAttributeType.DATETIME:
      return value instanceof Date && !Number.isNaN(value.getTime());
    case SearchAttributeType.KEYWORD_LIST:
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    default:
      return false;
  }
}

function checkKey(key: unknown, where: string): asserts key is SearchAttributeKey {
  const k = key as Partial<SearchAttributeKey> | null | undefined;
  if (typeof k !== 'object' || k === null || typeof k.name !== 'string') {
    throw new InvalidArgumentError(
      `Invalid typed search attribute in ${where}: a key must be { name, type }, as defineSearchAttributeKey(name, type) returns.`,
    );
  }
  if (!isSearchAttributeType(k.type)) {
    throw new InvalidArgumentError(
      `Invalid typed search attribute '${k.name}' in ${where}: ${describeValue(k.type)} is not a search attribute type. ` +
        `Use one of SearchAttributeType's: ${Object.keys(SearchAttributeType).join(', ')}.`,
    );
  }
}

/** Checks a pair; `null` (a removal) passes iff `allowNull`. */
function checkPair(pair: unknown, where: string, allowNull: boolean): SearchAttributeUpdatePair {
  if (typeof pair !== 'object' || pair === null || !('key' in pair)) {
    throw new InvalidArgumentError(
      `Invalid typed search attribute in ${where}: ${describeValue(pair)} is not a { key, value } pair.`,
    );
  }
  const { key, value } = pair as { key: unknown; value: unknown };
  checkKey(key, where);
  if (value === null && allowNull) return { key, value: null } as SearchAttributeUpdatePair;
  if (!isValidValueForType(key.type, value)) {
    throw new InvalidArgumentError(
      `Invalid typed search attribute '${key.name}' in ${where}: its key is declared ${key.type}, ` +
        `which takes ${EXPECTED[key.type]}, and the value is ${describeValue(value)}. ` +
        `Pass a value of the declared type${allowNull ? ' (or null to remove it)' : ''}, or define the key with the type of the value.`,
    );
  }
  return { key, value } as SearchAttributeUpdatePair;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (Array.isArray(value)) {
    const other: unknown = (value as unknown[]).find((v) => typeof v !== 'string');
    return other === undefined && value.length > 0
      ? 'an array of strings'
      : `an array holding ${describeValue(other)}`;
  }
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `the ${typeof value} ${String(value)}`;
  }
  return `a value of type ${typeof value}`;
}

/** Copies a Date or an array, so no caller shares the value held by a TypedSearchAttributes. */
function copyValue<V>(value: V): V {
  if (value instanceof Date) return new Date(value.getTime()) as V;
  if (Array.isArray(value)) return [...(value as unknown[])] as V;
  return value;
}

/** A DATETIME as a string: one of the ISO 8601 forms the list filter compares. */
const ISO_DATETIME =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 string as a Date; one without a zone is UTC, as in list filters. */
function parseIsoDatetime(value: string): Date | undefined {
  const m = ISO_DATETIME.exec(value);
  if (m === null) return undefined;
  const [, day, time = '00:00', zone = 'Z'] = m;
  const offset = zone === 'Z' || zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(`${day ?? ''}T${time}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
/** Exactly what `Date.toISOString()` writes: how a DATETIME (or untyped `Date`) is stored. */
const TO_ISO_STRING = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Typed search attributes: what `workflowInfo().typedSearchAttributes` and `describe()` show,
 * and what `typedSearchAttributes` options take. Temporal's `TypedSearchAttributes`. Immutable:
 * `updateCopy` returns a new one.
 *
 * The engine stores values without their declared types, so one read back from a run has the
 * types its values imply: a string is KEYWORD (DATETIME when written as `toISOString()` writes
 * it), a number INT when whole and DOUBLE otherwise, a boolean BOOL, a string array KEYWORD_LIST.
 * `get(key)` reads a value as the key's type: a TEXT key reads a KEYWORD string, a DOUBLE key a
 * whole number, a DATETIME key an ISO string (as a `Date`), a KEYWORD or TEXT key a DATETIME
 * (as its ISO string, the stored form).
 *
 * @example
 * ```ts
 * const attrs = new TypedSearchAttributes([{ key: CustomerKey, value: 'acme' }]);
 * attrs.get(CustomerKey); // 'acme'
 * attrs.updateCopy([{ key: CustomerKey, value: null }]).has(CustomerKey); // false
 * ```
 */
export class TypedSearchAttributes {
  readonly #attributes = new Map<string, SearchAttributePair>();

  /** Throws `InvalidArgumentError` for a value not of its key's type, or a name given twice. */
  constructor(initialAttributes?: readonly SearchAttributePair[]) {
    if (initialAttributes === undefined) return;
    for (const raw of initialAttributes) {
      const pair = checkPair(raw, 'TypedSearchAttributes', false) as SearchAttributePair;
      if (this.#attributes.has(pair.key.name)) {
        throw new InvalidArgumentError(
          `Duplicate search attribute key '${pair.key.name}' in TypedSearchAttributes: give each name once.`,
        );
      }
      this.#attributes.set(pair.key.name, {
        key: { name: pair.key.name, type: pair.key.type },
        value: copyValue(pair.value),
      } as SearchAttributePair);
    }
  }

  /** The value of the key's attribute, read as the key's type; undefined if absent or not readable as it. */
  get<T extends SearchAttributeType>(
    key: SearchAttributeKey<T>,
  ): SearchAttributeValueOfType[T] | undefined {
    const attr = this.#attributes.get(key.name);
    if (attr === undefined) return undefined;
    const value: unknown = attr.value;
    if (
      (key.type === SearchAttributeType.KEYWORD || key.type === SearchAttributeType.TEXT) &&
      value instanceof Date
    ) {
      return value.toISOString() as SearchAttributeValueOfType[T];
    }
    if (key.type === SearchAttributeType.DATETIME && typeof value === 'string') {
      return parseIsoDatetime(value) as SearchAttributeValueOfType[T];
    }
    return isValidValueForType(key.type, value) ? copyValue(value) : undefined;
  }

  /** True when `get(key)` finds a value. */
  has(key: SearchAttributeKey): boolean {
    return this.get(key) !== undefined;
  }

  /** Every attribute, as a pair of its key and value. */
  getAll(): SearchAttributePair[] {
    return [...this.#attributes.values()].map(
      (p) => ({ key: p.key, value: copyValue(p.value) }) as SearchAttributePair,
    );
  }

  /** A copy with `updates` applied: a pair sets its attribute, one with value `null` removes it. */
  updateCopy(updates: readonly SearchAttributeUpdatePair[]): TypedSearchAttributes {
    const next = new TypedSearchAttributes(this.getAll());
    for (const raw of updates) {
      const pair = checkPair(raw, 'TypedSearchAttributes.updateCopy', true);
      if (pair.value === null) next.#attributes.delete(pair.key.name);
      else {
        next.#attributes.set(pair.key.name, {
          key: { name: pair.key.name, type: pair.key.type },
          value: copyValue(pair.value),
        } as SearchAttributePair);
      }
    }
    return next;
  }

  /** A copy (values included). */
  copy(): TypedSearchAttributes {
    return new TypedSearchAttributes(this.getAll());
  }

  /** Its pairs: how it is written as JSON. */
  toJSON(): SearchAttributePair[] {
    return this.getAll();
  }
}

/** The type a stored value implies (see {@link TypedSearchAttributes}); undefined if none. */
function inferPair(name: string, value: unknown): SearchAttributePair | undefined {
  if (typeof value === 'string') {
    if (TO_ISO_STRING.test(value)) {
      const date = new Date(value);
      if (!Number.isNaN(date.getTime()) && date.toISOString() === value) {
        return { key: { name, type: SearchAttributeType.DATETIME }, value: date };
      }
    }
    return { key: { name, type: SearchAttributeType.KEYWORD }, value };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return Number.isInteger(value)
      ? { key: { name, type: SearchAttributeType.INT }, value }
      : { key: { name, type: SearchAttributeType.DOUBLE }, value };
  }
  if (typeof value === 'boolean') return { key: { name, type: SearchAttributeType.BOOL }, value };
  return isValidValueForType(SearchAttributeType.KEYWORD_LIST, value)
    ? { key: { name, type: SearchAttributeType.KEYWORD_LIST }, value: [...value] }
    : undefined;
}

/** A run's stored search attributes as typed ones, types inferred from the values. */
export function typedSearchAttributesOf(
  stored: Readonly<Record<string, unknown>>,
): TypedSearchAttributes {
  const pairs: SearchAttributePair[] = [];
  for (const [name, value] of Object.entries(stored)) {
    const pair = inferPair(name, value);
    if (pair !== undefined) pairs.push(pair);
  }
  return new TypedSearchAttributes(pairs);
}

/** The `typedSearchAttributes` option of a start: a list of pairs, or the class. */
export type TypedSearchAttributesInput = TypedSearchAttributes | readonly SearchAttributePair[];

/**
 * The types of the typed values' keys (name → registered type; a removal's is left out), for
 * the engine to register a new name with its key's type rather than its value's. Undefined when
 * none is typed. Call it after {@link unifySearchAttributes}, which checks the pairs.
 */
export function typedKeyTypes(
  typed: TypedSearchAttributesInput | readonly SearchAttributeUpdatePair[] | undefined,
): SearchAttributeTypes | undefined {
  if (typed === undefined) return undefined;
  const pairs = (
    Array.isArray(typed) ? typed : (typed as TypedSearchAttributes).getAll()
  ) as readonly SearchAttributeUpdatePair[];
  const types: SearchAttributeTypes = {};
  for (const p of pairs) if (p.value !== null) types[p.key.name] = indexedTypeOfKey(p.key.type);
  return Object.keys(types).length === 0 ? undefined : types;
}

/**
 * Untyped and typed search attributes as one untyped upsert, checked and normalised: each typed
 * value must be of its key's type and becomes the untyped value of that type (a DATETIME its
 * ISO string); a typed value wins over an untyped one of the same name (Temporal's rule). Throws
 * `InvalidArgumentError` naming the first problem; undefined when neither is given.
 */
export function unifySearchAttributes(
  untyped: Readonly<Record<string, unknown>> | undefined,
  typed: TypedSearchAttributesInput | readonly SearchAttributeUpdatePair[] | undefined,
  where: string,
): SearchAttributesUpsert | undefined {
  if (untyped === undefined && typed === undefined) return undefined;
  const merged: Record<string, unknown> = { ...untyped };
  if (typed !== undefined) {
    // By shape, not instanceof: the workflow sandbox holds its own copy of the class.
    const pairs: unknown = Array.isArray(typed)
      ? typed
      : typeof (typed as Partial<TypedSearchAttributes>).getAll === 'function'
        ? (typed as TypedSearchAttributes).getAll()
        : undefined;
    if (!Array.isArray(pairs)) {
      throw new InvalidArgumentError(
        `Invalid typed search attributes in ${where}: pass a TypedSearchAttributes or an array of { key, value } pairs.`,
      );
    }
    for (const raw of pairs as unknown[]) {
      const pair = checkPair(raw, where, true);
      merged[pair.key.name] = pair.value instanceof Date ? pair.value.toISOString() : pair.value;
    }
  }
  const result = normaliseSearchAttributes(merged);
  if (!result.ok) throw new InvalidArgumentError(result.message);
  return result.value;
}
