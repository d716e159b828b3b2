// One line per history event, for `reprise workflow show`.
import type { History } from 'reprise/client';

type HistoryEvent = History['events'][number];

/** The longest an event's details run on their line before they are cut with '…'. */
const DETAILS_MAX = 160;

/** ` 12  2026-12-07T01:02:03.456Z  ActivityTaskScheduled  {"activityId":"1",…}` */
function historyEventLine(event: HistoryEvent, idWidth: number, typeWidth: number): string {
  const { eventId, timeMs, type, ...rest } = event;
  const details = JSON.stringify(rest);
  const shown =
    details === '{}'
      ? ''
      : details.length > DETAILS_MAX
        ? `${details.slice(0, DETAILS_MAX - 1)}…`
        : details;
  return `${String(eventId).padStart(idWidth)}  ${new Date(timeMs).toISOString()}  ${type.padEnd(typeWidth)}  ${shown}`.trimEnd();
}

/** The history's events, one line each, with a header. */
export function historyText(history: History): string {
  const idWidth = Math.max(2, String(history.events.length).length);
  const typeWidth = Math.max(4, ...history.events.map((e) => e.type.length));
  const header = `${'ID'.padStart(idWidth)}  ${'Time'.padEnd(24)}  ${'Type'.padEnd(typeWidth)}  Details`;
  return (
    [header, ...history.events.map((e) => historyEventLine(e, idWidth, typeWidth))].join('\n') +
    '\n'
  );
}
