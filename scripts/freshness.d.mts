// Types of scripts/freshness.mjs, for the TypeScript that imports it (dashboard/e2e/global-setup.ts).
export const root: string;
export const builtCli: string;
export function sourcesTime(): number;
export function dashboardSourcesTime(): number;
export function serverStale(): boolean;
export function dashboardStale(): boolean;
