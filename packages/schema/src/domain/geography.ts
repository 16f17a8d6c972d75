import { createRequire } from "node:module";
import { MaillageError } from "../errors.ts";

/**
 * French administrative geography from @etalab/decoupage-administratif (INSEE's official
 * code), read once: it is immutable reference data shared by every request.
 *
 * "Rural" follows INSEE's long-standing definition of a rural commune: fewer than 2,000
 * inhabitants. The package carries populations but not the density grid INSEE uses since
 * 2020, so the threshold is the one that can be derived from the commune alone.
 */
export const RURAL_POPULATION_THRESHOLD = 2000;

export type Region = { code: string; name: string };
export type Department = { code: string; name: string; regionCode: string };
/**
 * An EPCI (établissement public de coopération intercommunale: communauté de communes,
 * d'agglomération, urbaine, or métropole) with its member communes. Every current commune
 * belongs to at most one; a few (islands) belong to none.
 */
export type Epci = { code: string; name: string; type: string; communeCodes: readonly string[] };

export type Commune = {
  code: string;
  name: string;
  departmentCode: string;
  regionCode: string;
  population: number;
  rural: boolean;
};

type RawCommune = {
  code: string;
  nom: string;
  type: string;
  departement?: string;
  region?: string;
  population?: number;
  chefLieu?: string;
};

export type Geography = {
  commune(code: string): Commune | undefined;
  /** Like `commune`, but an unknown code is the documented UNKNOWN_COMMUNE error. */
  requireCommune(code: string): Commune;
  department(code: string): Department | undefined;
  region(code: string): Region | undefined;
  /** The EPCI (intercommunalité) a current commune belongs to; undefined for none. */
  epciOf(communeCode: string): Epci | undefined;
  /** An EPCI by its SIREN code. */
  epci(code: string): Epci | undefined;
  regions(): Region[];
  departments(): Department[];
};

let loaded: Geography | undefined;

export function loadGeography(): Geography {
  loaded ??= build();
  return loaded;
}

function build(): Geography {
  const require = createRequire(import.meta.url);
  const data = "@etalab/decoupage-administratif/data";
  const rawCommunes: RawCommune[] = require(`${data}/communes.json`);
  const rawDepartments: { code: string; nom: string; region: string }[] = require(
    `${data}/departements.json`,
  );
  const rawRegions: { code: string; nom: string }[] = require(`${data}/regions.json`);

  const communes = new Map<string, Commune>();
  /** Delegated/associated communes: their code → the code of the commune they belong to. */
  const formerCommunes = new Map<string, { name: string; partOf: string }>();
  for (const c of rawCommunes) {
    if (c.type !== "commune-actuelle" && c.chefLieu) {
      formerCommunes.set(c.code, { name: c.nom, partOf: c.chefLieu });
    }
    // Only current communes carry a population; delegated/associated ones are not places
    // a space can be registered in (their commune nouvelle is).
    if (c.type !== "commune-actuelle" || !c.departement || !c.region) continue;
    const population = c.population ?? 0;
    communes.set(c.code, {
      code: c.code,
      name: c.nom,
      departmentCode: c.departement,
      regionCode: c.region,
      population,
      rural: population < RURAL_POPULATION_THRESHOLD,
    });
  }
  const departments = new Map(
    rawDepartments.map((d) => [d.code, { code: d.code, name: d.nom, regionCode: d.region }]),
  );
  const regions = new Map(rawRegions.map((r) => [r.code, { code: r.code, name: r.nom }]));
  const rawEpcis: { code: string; nom: string; type: string; membres: { code: string }[] }[] =
    require(`${data}/epci.json`);
  const epcis = new Map<string, Epci>();
  const epciOfCommune = new Map<string, Epci>();
  for (const e of rawEpcis) {
    const epci: Epci = {
      code: e.code,
      name: e.nom,
      type: e.type,
      communeCodes: Object.freeze(e.membres.map((m) => m.code)),
    };
    epcis.set(epci.code, epci);
    for (const code of epci.communeCodes) epciOfCommune.set(code, epci);
  }

  return {
    commune: (code) => communes.get(code),
    requireCommune(code) {
      const commune = communes.get(code);
      if (commune) return commune;
      const former = formerCommunes.get(code);
      const current = former ? communes.get(former.partOf) : undefined;
      if (former && current) {
        throw new MaillageError(
          "UNKNOWN_COMMUNE",
          `${code} is ${former.name}, now part of ${current.name}: use INSEE code ${current.code}`,
          { communeCode: code, suggestion: current.code },
        );
      }
      throw new MaillageError(
        "UNKNOWN_COMMUNE",
        `no current French commune has INSEE code ${code}`,
        {
          communeCode: code,
        },
      );
    },
    department: (code) => departments.get(code),
    region: (code) => regions.get(code),
    epciOf: (communeCode) => epciOfCommune.get(communeCode),
    epci: (code) => epcis.get(code),
    regions: () => [...regions.values()],
    departments: () => [...departments.values()],
  };
}
