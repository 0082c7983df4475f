/** Placeholder: replaced by the typed display module's declarations. */
export const GLOBALS_DTS = `declare function display(value: unknown, options?: { raw?: boolean; displayId?: string; update?: boolean }): void;`;
