// The types a namespace registers its custom search attributes with (Temporal's
// IndexedValueType, without Text: Reprise compares every string as a Keyword), what each takes,
// and the type a value or a typed key implies when it registers a name.
import { InvalidArgumentError } from '../errors.ts';
import type { SearchAttributeType } from './typed-search-attributes.ts';
import {
  SCHEDULED_BY_ID,
  SCHEDULED_START_TIME,
  reservedSearchAttributeMessage,
  reservedSearchAttributeProblem,
} from './search-attribute-checks.ts';

export const INDEXED_VALUE_TYPES = [
  'Keyword',
  'Int',
  'Double',
  'Bool',
  'Datetime',
  'KeywordList',
] as const;
/** A registered custom search attribute's type (Temporal's `IndexedValueType`, but Text). */
export type IndexedValueType = (typeof INDEXED_VALUE_TYPES)[number];

/** Custom search attribute name → type: a namespace's registry. */
export type SearchAttributeTypes = Record<string, IndexedValueType>;

export { SCHEDULED_BY_ID, SCHEDULED_START_TIME } from './search-attribute-checks.ts';

/**
 * System search attributes held with a run's custom ones (a schedule sets them on the runs it
 * starts), with their types as Temporal's: set by the engine only, never registered in a
 * namespace, nor added or removed; list filters check operators against these types.
 */
export const ScheduleSearchAttributes: Readonly<Record<string, IndexedValueType>> = {
  [SCHEDULED_START_TIME]: 'Datetime',
  [SCHEDULED_BY_ID]: 'Keyword',
};

/** The type of a system attribute a schedule sets ({@link ScheduleSearchAttributes}), else undefined. */
export function scheduleSearchAttributeType(name: string): IndexedValueType | undefined {
  return Object.hasOwn(ScheduleSearchAttributes, name) ? ScheduleSearchAttributes[name] : undefined;
}

/** Exactly what `Date.toISOString()` writes: how a Datetime (a `Date`) is stored. */
const TO_ISO_STRING = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isStoredDatetime(value: string): boolean {
  if (!TO_ISO_STRING.test(value)) return false;
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value;
}

/**
 * The type a new name registers from its value alone (no typed key): a string as `toISOString()`
 * writes it is a Datetime, another string a Keyword, any finite number a Double (so that a name
 * first written as `0` still takes `0.75` later: only a registration or an `INT` key makes an
 * Int), a boolean a Bool, a string array a KeywordList.
 */
export function registeredTypeOfValue(value: unknown): IndexedValueType | undefined {
  if (typeof value === 'string') return isStoredDatetime(value) ? 'Datetime' : 'Keyword';
  if (typeof value === 'number') return Number.isFinite(value) ? 'Double' : undefined;
  if (typeof value === 'boolean') return 'Bool';
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return 'KeywordList';
  return undefined;
}

/**
 * True when an attribute registered as `type` may hold `value` (as stored: a `Date` is its ISO
 * string). A Keyword holds any string (a Datetime's ISO string too), a Double any finite number.
 */
export function valueFitsType(type: IndexedValueType, value: unknown): boolean {
  switch (type) {
    case 'Keyword':
      return typeof value === 'string';
    case 'Datetime':
      return typeof value === 'string' && isStoredDatetime(value);
    case 'Int':
      return Number.isInteger(value);
    case 'Double':
      return typeof value === 'number' && Number.isFinite(value);
    case 'Bool':
      return typeof value === 'boolean';
    case 'KeywordList':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
}

/** The registered type of a typed key's type: a TEXT key's attribute is a Keyword. */
export function indexedTypeOfKey(type: SearchAttributeType): IndexedValueType {
  switch (type) {
    case 'TEXT':
    case 'KEYWORD':
      return 'Keyword';
    case 'INT':
      return 'Int';
    case 'DOUBLE':
      return 'Double';
    case 'BOOL':
      return 'Bool';
    case 'DATETIME':
      return 'Datetime';
    case 'KEYWORD_LIST':
      return 'KeywordList';
  }
}

const BY_NAME = new Map<string, IndexedValueType>([
  ...INDEXED_VALUE_TYPES.map((t) => [t.toLowerCase(), t] as const),
  ['keyword_list', 'KeywordList'],
]);

/**
 * A type as given to `searchAttributes.add`: one of {@link INDEXED_VALUE_TYPES}, in any case, or
 * a `SearchAttributeType` (`KEYWORD_LIST`). Text is refused: Reprise has no full-text search.
 */
export function parseIndexedValueType(name: string, type: unknown): IndexedValueType {
  const found = typeof type === 'string' ? BY_NAME.get(type.toLowerCase()) : undefined;
  if (found !== undefined) return found;
  const text = typeof type === 'string' && type.toLowerCase() === 'text';
  throw new InvalidArgumentError(
    `Invalid search attribute type for '${name}': ${JSON.stringify(type)}` +
      (text
        ? ' is not supported: Reprise compares strings whole, as Keywords (no full-text search). Register it as Keyword.'
        : ` is not a type. Use one of ${INDEXED_VALUE_TYPES.join(', ')}.`),
  );
}

/** A value as error messages show it. */
export function describeStoredValue(value: unknown): string {
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  if (Array.isArray(value)) return `the list ${JSON.stringify(value).slice(0, 60)}`;
  if (typeof value === 'number' || typeof value === 'boolean') {
    return `the ${typeof value} ${String(value)}`;
  }
  return `a value of type ${typeof value}`;
}

/** What a value of each type must be, as error messages say it. */
const TAKES: Record<IndexedValueType, string> = {
  Keyword: 'a string',
  Int: 'an integer',
  Double: 'a finite number',
  Bool: 'a boolean',
  Datetime: 'a Date',
  KeywordList: 'an array of strings',
};

/**
 * The types to register for the names `values` sets that `registered` lacks (a typed key's type
 * from `keyTypes`, else the value's), added to `into`, which also counts as registered (the
 * earlier commands of one workflow task). Throws `InvalidArgumentError` naming the attribute,
 * its registered type and the value when a value (or a typed key) is of another type, and for a
 * name no user may set ({@link reservedSearchAttributeProblem}), even to remove it. A schedule's
 * names (TemporalScheduledById, TemporalScheduledStartTime) are checked against their own types
 * only, as Temporal's server takes them from users. Null and `[]` (removals) are not checked
 * otherwise.
 */
export function searchAttributeTypesToRegister(
  namespace: string,
  registered: ReadonlyMap<string, IndexedValueType>,
  values: Readonly<Record<string, unknown>>,
  keyTypes: Readonly<Record<string, IndexedValueType>> | undefined,
  into: SearchAttributeTypes = {},
): SearchAttributeTypes {
  for (const [name, value] of Object.entries(values)) {
    // A schedule's names are taken with their own types, as Temporal's server still takes them
    // (so a scheduled run's continue-as-new may pass its attributes on); the other names it
    // reserves are refused, with a value or without.
    const scheduleType = scheduleSearchAttributeType(name);
    const reserved = scheduleType === undefined ? reservedSearchAttributeProblem(name) : undefined;
    if (reserved !== undefined) {
      throw new InvalidArgumentError(reservedSearchAttributeMessage(name, reserved));
    }
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) {
      continue;
    }
    const keyType = keyTypes?.[name];
    if (scheduleType !== undefined) {
      if (!valueFitsType(scheduleType, value) || (keyType ?? scheduleType) !== scheduleType) {
        throw new InvalidArgumentError(
          `Search attribute '${name}' is a system search attribute of type ${scheduleType}, ` +
            `which takes ${TAKES[scheduleType]}, and the value is ${describeStoredValue(value)}: ` +
            'pass a value of that type (a schedule sets it on each run it starts), or use another name.',
        );
      }
      continue;
    }
    const type = registered.get(name) ?? into[name];
    if (type === undefined) {
      const implied = keyType ?? registeredTypeOfValue(value);
      if (implied !== undefined) into[name] = implied;
      continue;
    }
    // An INT key's values are Doubles too.
    if (keyType !== undefined && keyType !== type && !(keyType === 'Int' && type === 'Double')) {
      throw new InvalidArgumentError(
        `Search attribute '${name}' is registered as ${type} in namespace '${namespace}', and its ` +
          `typed key declares ${keyType}: define the key as ${type}, or use another name.`,
      );
    }
    if (!valueFitsType(type, value)) {
      throw new InvalidArgumentError(
        `Search attribute '${name}' is registered as ${type} in namespace '${namespace}', which ` +
          `takes ${TAKES[type]}, and the value is ${describeStoredValue(value)}: pass a value ` +
          'of that type, or use another name.',
      );
    }
  }
  return into;
}
