import { createWriteKernel } from './core/write';
import type { Db } from './db/client';
import { createApiKeyService } from './modules/api-keys/api-key-service';
import { createClaimRepository } from './modules/claims/claim-repository';
import { createClaimService } from './modules/claims/claim-service';
import { createIncidentRepository } from './modules/incidents/incident-repository';
import { createIncidentService } from './modules/incidents/incident-service';
import { createIncidentTruth } from './modules/incidents/incident-truth';
import { createImportRepository } from './modules/imports/import-repository';
import { createImportService } from './modules/imports/import-service';
import { createHistoryRepository } from './modules/history/history-repository';
import { createHistoryService } from './modules/history/history-service';
import { createSourceRepository } from './modules/sources/source-repository';
import { createSourceService } from './modules/sources/source-service';

/** Wires repositories into services; the one place that knows who depends on whom. */
export function createServices(db: Db) {
  const repositories = {
    sources: createSourceRepository(),
    incidents: createIncidentRepository(),
    claims: createClaimRepository(),
  };
  const truth = createIncidentTruth({ incidents: repositories.incidents });
  // Every write goes through the kernel: one transaction, its journal, If-Match, idempotency, derived truth.
  const kernel = createWriteKernel({ db, truth });
  return {
    kernel,
    sources: createSourceService({ db, kernel, sources: repositories.sources }),
    incidents: createIncidentService({ db, kernel, incidents: repositories.incidents, truth }),
    claims: createClaimService({ db, kernel, ...repositories }),
    history: createHistoryService({ db, history: createHistoryRepository() }),
    apiKeys: createApiKeyService({ db, kernel }),
    imports: createImportService({
      db,
      kernel,
      repository: createImportRepository(),
      incidents: repositories.incidents,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
