/**
 * The `semcoder` settings section as the server should see it.
 *
 * VS Code answers `workspace/configuration` with every contributed default filled in. The server
 * ranks editor settings above `[tool.semcoder]` in pyproject.toml, so forwarding defaults would
 * silently override a project's own configuration (e.g. `run.timeoutSeconds = 30` there would
 * become 10). Only values the user set somewhere (user, workspace, folder, language) are forwarded;
 * the server applies the same defaults as the Settings UI shows when a value is absent.
 *
 * Pure: no `vscode` import, so it is unit-tested under plain Node.
 */

/** Keys of the section that only the client uses; never sent to the server. */
export const CLIENT_ONLY_KEYS: readonly string[] = ["serverPath", "trace.server"];

/** Keys the server reads (dotted, camelCase as in the editor), in the order of the Settings UI. */
export const SERVER_KEYS: readonly string[] = [
  "python",
  "run.timeoutSeconds",
  "run.memoryMb",
  "run.maxProcesses",
  "run.isolation",
  "trace.maxStatesPerLine",
  "trace.maxRepr",
  "annotations.enabled",
  "annotations.maxValuesPerLine",
  "repair.timeBudgetSeconds",
  "repair.probeSeconds",
  "model.backend",
  "model.path",
  "model.url",
  "model.name",
  "model.apiKeyEnv",
  "model.maxTokens",
  "model.temperature",
  "model.topP",
  "model.seed",
  "model.samples",
  "model.timeoutSeconds",
  "model.retries",
  "model.contextLength",
  "model.threads",
  "model.gpuLayers",
  "model.device",
  "model.extraBody",
];

/** Keys whose change needs a new server process (they decide which server runs). */
export const RESTART_KEYS: readonly string[] = ["serverPath", "python"];

/** The shape of `WorkspaceConfiguration.inspect(key)` that matters here. */
export interface Inspected {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  globalLanguageValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

/** What this module needs of a `vscode.WorkspaceConfiguration` for the `semcoder` section. */
export interface ConfigurationLike {
  inspect(key: string): Inspected | undefined;
}

/** A nested, camelCase settings object: `{run: {timeoutSeconds: 5}}`. */
export type Section = { [key: string]: unknown };

/** The value the user set for a key, the most specific scope winning; undefined when only the default applies. */
export function explicitValue(inspected: Inspected | undefined): unknown {
  if (!inspected) {
    return undefined;
  }
  // VS Code's precedence: language-specific beats plain, folder beats workspace beats user.
  const order: (keyof Inspected)[] = [
    "workspaceFolderLanguageValue",
    "workspaceLanguageValue",
    "globalLanguageValue",
    "workspaceFolderValue",
    "workspaceValue",
    "globalValue",
  ];
  for (const scope of order) {
    if (inspected[scope] !== undefined) {
      return inspected[scope];
    }
  }
  return undefined;
}

/** Flat `{dotted key: value}` of the server keys the user set explicitly. */
export function explicitSettings(config: ConfigurationLike, keys: readonly string[] = SERVER_KEYS): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = explicitValue(config.inspect(key));
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

/**
 * Flat dotted settings -> the nested section the server reads. Client-only keys and empty values
 * (null, "", a cleared text field) are dropped: for the server "unset" means "use the next source".
 */
export function toServerSection(flat: Record<string, unknown>): Section {
  const out: Section = {};
  for (const [key, value] of Object.entries(flat)) {
    if (CLIENT_ONLY_KEYS.includes(key) || isEmpty(value)) {
      continue;
    }
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== "object" || next === null || Array.isArray(next)) {
        node[part] = {};
      }
      node = node[part] as Section;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/** The section sent as `initializationOptions` and as the answer to `workspace/configuration`. */
export function serverSettings(config: ConfigurationLike): Section {
  return toServerSection(explicitSettings(config));
}

/** Whether a configuration change touches keys that decide which server runs. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_KEYS.some((key) => affects(`semcoder.${key}`));
}
