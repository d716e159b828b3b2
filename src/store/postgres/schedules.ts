// Schedules on PostgreSQL.
import { IllegalStateError } from '../../errors.ts';
import type { ListFilter } from '../../protocol/list-filter.ts';
import type {
  CreateScheduleRequest,
  DeleteScheduleRequest,
  ScheduleRecord,
  UpdateScheduleRequest,
} from '../store.ts';
import type { PostgresDb } from './postgres-db.ts';

const notBuilt = (what: string) => new IllegalStateError(`${what}: not built yet`);

export async function createSchedule(db: PostgresDb, req: CreateScheduleRequest): Promise<void> {
  throw notBuilt(`createSchedule ${db.schema} ${req.schedule.scheduleId}`);
}

export async function getSchedule(
  db: PostgresDb,
  req: { namespace: string; scheduleId: string },
): Promise<ScheduleRecord | undefined> {
  throw notBuilt(`getSchedule ${db.schema} ${req.scheduleId}`);
}

export async function updateSchedule(db: PostgresDb, req: UpdateScheduleRequest): Promise<void> {
  throw notBuilt(`updateSchedule ${db.schema} ${req.schedule.scheduleId}`);
}

export async function deleteSchedule(db: PostgresDb, req: DeleteScheduleRequest): Promise<boolean> {
  throw notBuilt(`deleteSchedule ${db.schema} ${req.scheduleId}`);
}

export async function listSchedules(
  db: PostgresDb,
  req: {
    namespace: string;
    limit: number;
    afterScheduleId?: string | undefined;
    filter?: ListFilter | undefined;
  },
): Promise<ScheduleRecord[]> {
  throw notBuilt(`listSchedules ${db.schema} ${req.namespace}`);
}
