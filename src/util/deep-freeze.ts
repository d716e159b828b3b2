/**
 * Freezes plain data — plain objects and arrays, and all they hold — in place, and returns it.
 * Anything else (a typed array, a `Date`, a class instance) is left as it is, and what it holds
 * with it: not all of them can be frozen (a typed array with elements cannot).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    Object.freeze(value);
    // By index: Object.keys would make a string per element of a large array.
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
    return value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  const record = value as Record<string, unknown>;
  for (const key in record) if (Object.hasOwn(record, key)) deepFreeze(record[key]);
  return value;
}
