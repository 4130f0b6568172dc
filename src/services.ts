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
  const truth = createIncidentTruth();
  return {
    sources: createSourceService({ db, sources: repositories.sources, truth }),
    incidents: createIncidentService({ db, incidents: repositories.incidents, truth }),
    claims: createClaimService({ db, ...repositories, truth }),
    history: createHistoryService({ db, history: createHistoryRepository() }),
    apiKeys: createApiKeyService({ db }),
    imports: createImportService({
      db,
      repository: createImportRepository(),
      incidents: repositories.incidents,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
