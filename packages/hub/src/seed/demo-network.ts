/**
 * A small but real network for `maillage demo`: four fabriques in four regions, each with
 * satellites in real communes (INSEE codes), rural and small-town alike. The places are
 * invented; the communes and their geography are not. The generator (plan.ts, scale "demo")
 * places it, with opening hours and a year of history of its own.
 */
export type DemoSpace = { name: string; communeCode: string; services: string[] };
export type DemoNetwork = DemoSpace & { satellites: DemoSpace[] };

export const DEMO_NETWORK: DemoNetwork[] = [
  {
    name: "La Fabrique du Vivarais",
    communeCode: "07186", // Privas, Ardèche
    services: ["coworking", "fablab", "formation", "prêt de matériel"],
    satellites: [
      { name: "L'Atelier d'Aubenas", communeCode: "07019", services: ["coworking", "repair café"] },
      { name: "Le Local de Lamastre", communeCode: "07129", services: ["coworking"] },
      { name: "La Source", communeCode: "07331", services: ["espace numérique", "formation"] },
      { name: "Tiers-lieu du Cheylard", communeCode: "07064", services: ["fablab"] },
      { name: "La Grange de Jaujac", communeCode: "07107", services: ["espace numérique", "café"] },
      { name: "Le Relais de Désaignes", communeCode: "07079", services: ["coworking", "café"] },
    ],
  },
  {
    name: "La Quincaillerie",
    communeCode: "23096", // Guéret, Creuse
    services: ["coworking", "fablab", "formation", "prêt de matériel"],
    satellites: [
      { name: "Le Lieu d'Aubusson", communeCode: "23008", services: ["atelier textile"] },
      { name: "La Boîte de Bourganeuf", communeCode: "23030", services: ["coworking"] },
      { name: "Tiers-lieu de Felletin", communeCode: "23079", services: ["fablab", "café"] },
      { name: "La Maison du Lac", communeCode: "23165", services: ["espace numérique"] },
    ],
  },
  {
    name: "Fabrique du Kreiz Breizh",
    communeCode: "22266", // Rostrenen, Côtes-d'Armor
    services: ["coworking", "formation", "espace numérique"],
    satellites: [
      { name: "Ti Carhaix", communeCode: "29024", services: ["coworking", "fablab"] },
      { name: "Le Champ Commun de Callac", communeCode: "22025", services: ["café", "épicerie"] },
      { name: "L'Escale de Guerlédan", communeCode: "22158", services: ["coworking"] },
      { name: "Ti Plounévez", communeCode: "22229", services: ["espace numérique"] },
    ],
  },
  {
    name: "La Fabrique des Cévennes",
    communeCode: "30350", // Le Vigan, Gard
    services: ["coworking", "fablab", "formation"],
    satellites: [
      { name: "L'Atelier de Ganges", communeCode: "34111", services: ["fablab"] },
      { name: "Le Filatoire", communeCode: "30263", services: ["coworking", "café"] },
      { name: "La Placette de Sumène", communeCode: "30325", services: ["espace numérique"] },
    ],
  },
];
