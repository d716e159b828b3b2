import { storeConformance } from './suite.ts';
import { openTestPostgresStore } from '../helpers/postgres.ts';

storeConformance('postgres', () => openTestPostgresStore());
