import vm from 'node:vm';
import { FakePhotoshop } from '../fake/fake-photoshop.js';

const HOST_MODULES = new Set(['photoshop', 'uxp']);

/**
 * Node-only constructs in a bundle: require() of anything but UXP's host modules, node:
 * specifiers, process, Buffer, __dirname/__filename.
 */
export function staticProblems(code: string): string[] {
  const problems: string[] = [];
  for (const match of code.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)) {
    if (!HOST_MODULES.has(match[1] ?? '')) problems.push(`requires "${match[1]}"`);
  }
  const patterns: [RegExp, string][] = [
    [/["'`]node:[a-z_/]+["'`]/, 'a node: module specifier'],
    [/\bprocess\s*\.\s*(env|argv|exit|cwd|versions|platform|nextTick)\b/, 'process (Node global)'],
    [/\bBuffer\s*\.\s*(from|alloc|concat|isBuffer)\b/, 'Buffer (Node global)'],
    [/\b__dirname\b|\b__filename\b/, '__dirname/__filename'],
    // DOM members UXP lacks at the manifest's minVersion (25.0 = UXP 7.x; see fake/uxp-dom.ts).
    [/\.toggleAttribute\s*\(/, 'Element.toggleAttribute (not in UXP)'],
    [/\.replaceChildren\s*\(/, 'replaceChildren (UXP 8.0+ only)'],
    [/addEventListener\(\s*["'`]abort["'`]/, 'AbortSignal events (not in UXP)'],
  ];
  for (const [pattern, what] of patterns) if (pattern.test(code)) problems.push(`uses ${what}`);
  return problems;
}

/**
 * Runs the bundle in a fresh V8 context holding only what a UXP panel has (timers, TextEncoder,
 * URL, AbortController, WebSocket, localStorage, document, require for `photoshop`/`uxp`) and
 * no Node globals, and no eval. Returns the panel ids it registered, or throws what went wrong.
 */
export function loadLikeUxp(code: string): string[] {
  const panels: string[] = [];
  const storage = new Map<string, string>();
  const uxp = {
    entrypoints: {
      setup(options: { panels?: Record<string, unknown> }) {
        panels.push(...Object.keys(options.panels ?? {}));
      },
    },
  };
  const photoshop = new FakePhotoshop();
  const sandbox: Record<string, unknown> = {
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    TextEncoder,
    TextDecoder,
    URL,
    AbortController,
    WebSocket: class {
      constructor() {
        throw new Error('no network while loading');
      }
    },
    localStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
    document: { getElementById: () => null },
    require: (id: string) => {
      if (id === 'photoshop') return photoshop;
      if (id === 'uxp') return uxp;
      throw new Error(`UXP has no module "${id}"`);
    },
  };
  // UXP refuses eval/new Function unless the manifest sets allowCodeGenerationFromStrings.
  vm.createContext(sandbox, { codeGeneration: { strings: false, wasm: false } });
  vm.runInContext(code, sandbox, { filename: 'index.js', timeout: 5000 });
  return panels;
}
