import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadLikeUxp, staticProblems } from './browser-safety.js';
import { bundlePlugin, PLUGIN_FILES, readManifest } from './bundle.js';
import { checkJsonSchema, type Schema } from './json-schema-check.js';
import { writeZip } from './zip.js';

/** The bridge's WebSocket origins the manifest must allow (default port 7450). */
export const BRIDGE_ORIGINS = ['ws://localhost:7450', 'ws://127.0.0.1:7450'] as const;

export interface PackageResult {
  ccx: string;
  pluginDir: string;
  bytes: number;
}

/** Problems with a manifest: the v5 schema, the panel id main.ts registers, the bridge origins. */
export function manifestProblems(manifest: unknown, schema: Schema): string[] {
  const problems = checkJsonSchema(manifest, schema);
  const m = manifest as { requiredPermissions?: { network?: { domains?: unknown } }; entrypoints?: { id?: unknown }[] };
  const domains = m.requiredPermissions?.network?.domains;
  for (const origin of BRIDGE_ORIGINS) {
    if (!(Array.isArray(domains) && domains.includes(origin)) && domains !== 'all') problems.push(`requiredPermissions.network.domains lacks ${origin}`);
  }
  if (!m.entrypoints?.some((e) => e.id === 'latent-bridge.panel')) problems.push('no panel entrypoint "latent-bridge.panel"');
  return problems;
}

/** Bundles, checks (manifest schema, no Node-only APIs, loads like UXP) and zips the .ccx. */
export async function packagePlugin(packageRoot: string, outFile?: string): Promise<PackageResult> {
  const pluginDir = await bundlePlugin(packageRoot);
  const manifest = readManifest(pluginDir) as { id: string; version: string };
  const schema = JSON.parse(readFileSync(path.join(packageRoot, 'manifest.schema.json'), 'utf8')) as Schema;
  const code = readFileSync(path.join(pluginDir, 'index.js'), 'utf8');
  const problems = [...manifestProblems(manifest, schema), ...staticProblems(code).map((p) => `index.js ${p}`)];
  if (problems.length > 0) throw new Error(`cannot package:\n  ${problems.join('\n  ')}`);
  const panels = loadLikeUxp(code);
  if (!panels.includes('latent-bridge.panel')) throw new Error('index.js did not register the panel when loaded');
  const ccx = outFile ?? path.join(packageRoot, 'dist-ccx', `${manifest.id}_${manifest.version}.ccx`);
  mkdirSync(path.dirname(ccx), { recursive: true });
  const zip = writeZip(PLUGIN_FILES.map((name) => ({ name, data: readFileSync(path.join(pluginDir, name)) })));
  writeFileSync(ccx, zip);
  return { ccx, pluginDir, bytes: zip.length };
}
