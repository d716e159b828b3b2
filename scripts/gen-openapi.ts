// `npm run openapi`: rewrites docs/openapi.json from the code (a test fails while it differs).
import { writeFileSync } from 'node:fs';
import { DOCS_COPY, openApiText } from '../src/transport/http/openapi.ts';

writeFileSync(new URL(`../${DOCS_COPY.file}`, import.meta.url), openApiText(DOCS_COPY.options));
