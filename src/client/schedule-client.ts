import type { Workflow } from '../protocol/definitions.ts';
import { headersToWire } from '../protocol/headers.ts';
import { composeInterceptors } from '../protocol/interceptors.ts';
import {
  typedKeyTypes,
  typedSearchAttributesOf,
  unifySearchAttributes,
} from '../protocol/typed-search-attributes.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import {
  actionResultFromWire,
  actionToWire,
  dateToMs,
  policiesToWire,
  specFromWire,
  specToWire,
  stateToWire,
  workflowTypeName,
} from './schedule-convert.ts';
import type { CreateScheduleInput, ScheduleClientInterceptor } from './interceptors.ts';
import { ScheduleHandle } from './schedule-handle.ts';
import type {
  CompiledScheduleOptions,
  ListScheduleOptions,
  ScheduleOptions,
  ScheduleSummary,
} from './schedule-types.ts';

/** The options interceptors see: the workflow type as its name, `args` always set. */
function compiledScheduleOptions<W extends Workflow>(
  options: ScheduleOptions<W>,
): CompiledScheduleOptions {
  const { workflowType, args, ...action } = options.action;
  return {
    ...options,
    action: { ...action, workflowType: workflowTypeName(workflowType), args: [...(args ?? [])] },
  };
}

/**
 * Creates, finds and lists schedules: `client.schedule`. Temporal's `ScheduleClient`.
 * @example
 * const handle = await client.schedule.create({
 *   scheduleId: 'daily-report',
 *   spec: { cronExpressions: ['0 9 * * *'], timezone: 'Europe/Paris' },
 *   action: { type: 'startWorkflow', workflowType: dailyReport, taskQueue: 'reports', args: [] },
 * });
 */
export class ScheduleClient {
  readonly #api: EngineApi;
  readonly #namespace: string;
  readonly #interceptors: readonly ScheduleClientInterceptor[];

  constructor(
    api: EngineApi,
    namespace: string,
    interceptors: readonly ScheduleClientInterceptor[] = [],
  ) {
    this.#api = api;
    this.#namespace = namespace;
    this.#interceptors = interceptors;
  }

  /**
   * Creates a schedule and returns its handle. Its spec's times count from now. Throws
   * `ScheduleAlreadyRunning` if the id is taken, `InvalidArgumentError` for a bad cron
   * expression, calendar or time zone (the message names it). The `schedule` interceptors wrap
   * it; the headers they set reach every run the schedule starts.
   */
  async create<W extends Workflow>(options: ScheduleOptions<W>): Promise<ScheduleHandle> {
    const input: CreateScheduleInput = { headers: {}, options: compiledScheduleOptions(options) };
    await composeInterceptors(this.#interceptors, 'create', async (i) => {
      await this.#create(i);
      return {};
    })(input);
    return this.getHandle(options.scheduleId);
  }

  async #create({ options, headers }: CreateScheduleInput): Promise<void> {
    const { scheduleId } = options;
    await this.#api.createSchedule({
      namespace: this.#namespace,
      scheduleId,
      spec: specToWire(options.spec),
      action: actionToWire(
        options.action,
        scheduleId,
        headersToWire(headers, `schedule '${scheduleId}'`),
      ),
      policies: policiesToWire(options.policies),
      state: {
        ...stateToWire(options.state),
        triggerImmediately: options.state?.triggerImmediately,
        backfill: options.state?.backfill?.map((b) => ({
          startMs: dateToMs(b.start, 'backfill start'),
          endMs: dateToMs(b.end, 'backfill end'),
          overlap: b.overlap,
        })),
      },
      memo: options.memo,
      searchAttributes:
        options.typedSearchAttributes === undefined
          ? options.searchAttributes
          : unifySearchAttributes(
              options.searchAttributes,
              options.typedSearchAttributes,
              'the schedule options',
            ),
      searchAttributeTypes: typedKeyTypes(options.typedSearchAttributes),
    });
  }

  /** A handle to a schedule by id; no request is made until you use it. */
  getHandle(scheduleId: string): ScheduleHandle {
    return new ScheduleHandle(this.#api, this.#namespace, scheduleId);
  }

  /**
   * The namespace's schedules in id order, fetched page by page as you iterate.
   * @example for await (const s of client.schedule.list()) console.log(s.scheduleId, s.info.nextActionTimes[0]);
   */
  list(options: ListScheduleOptions = {}): AsyncIterable<ScheduleSummary> {
    const api = this.#api;
    const namespace = this.#namespace;
    return {
      async *[Symbol.asyncIterator]() {
        let token: string | undefined;
        do {
          const page = await api.listSchedules({
            namespace,
            pageSize: options.pageSize,
            nextPageToken: token,
            query: options.query,
          });
          for (const s of page.schedules) {
            yield {
              scheduleId: s.scheduleId,
              spec: specFromWire(s.spec),
              action: s.action,
              state: s.state,
              info: {
                recentActions: s.info.recentActions.map(actionResultFromWire),
                nextActionTimes: s.info.nextActionTimesMs.map((t) => new Date(t)),
              },
              memo: s.memo,
              searchAttributes: s.searchAttributes,
              typedSearchAttributes: typedSearchAttributesOf(s.searchAttributes),
            };
          }
          token = page.nextPageToken;
        } while (token !== undefined);
      },
    };
  }
}
