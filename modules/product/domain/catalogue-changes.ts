export interface CatalogueEntry {
  name: string;
  description: string;
  priceCents: number;
  currency: string;
}

export type CatalogueField = keyof CatalogueEntry;
export type CataloguePatch = Partial<CatalogueEntry>;

/**
 * The fields a patch really changes, in a stable order; a patch that changes nothing raises no event.
 * @example changedFields({ name: 'Mug', … }, { name: 'Mug', priceCents: 900 }) // → ['priceCents']
 */
export function changedFields(current: CatalogueEntry, patch: CataloguePatch): CatalogueField[] {
  const fields: CatalogueField[] = ['name', 'description', 'priceCents', 'currency'];
  return fields.filter((field) => patch[field] !== undefined && patch[field] !== current[field]);
}
