/**
 * Which `semcoder-lsp` to start, decided from settings, the Python extension and PATH.
 *
 * Order: `semcoder.serverPath` (used as is), `semcoder.python` (`<python> -m semcoder_lsp` when
 * semcoder is installed there), the Python extension's active environment (same test), then a
 * `semcoder-lsp` on PATH. A Python without semcoder is passed over, not an error: `semcoder.python`
 * is also the interpreter that runs the user's code, which need not hold semcoder itself. When
 * nothing is found, the answer names every place tried and the interpreter to install into.
 *
 * Pure apart from the injected probes (PATH lookup, "is semcoder importable"), so every branch is
 * unit-tested without VS Code or a Python.
 */

import * as path from "node:path";

export type Source = "serverPath" | "python" | "pythonExtension" | "path";

export interface ResolutionInput {
  /** `semcoder.serverPath`, as the user wrote it. */
  serverPath?: string | null;
  /** `semcoder.python`, as the user wrote it. */
  python?: string | null;
  /** The interpreter of the Python extension's active environment (already a full path). */
  pythonExtension?: string | null;
  /** The workspace folder relative paths and `${workspaceFolder}` refer to. */
  workspaceFolder?: string;
  home?: string;
  platform?: NodeJS.Platform;
}

export interface Probes {
  /** Full path of an executable on PATH, or undefined. */
  which(command: string): Promise<string | undefined>;
  /** Whether a file exists (and is executable, where that can be told). */
  exists(file: string): Promise<boolean>;
  /** Whether `python -c "import semcoder_lsp"` succeeds. */
  hasServer(python: string): Promise<boolean>;
}

export interface ServerCommand {
  command: string;
  args: string[];
  source: Source;
  /** The interpreter the server runs in, when started as `python -m semcoder_lsp`. */
  python?: string;
}

export interface Attempt {
  source: Source;
  detail: string;
}

export type Resolution =
  | { found: true; server: ServerCommand; tried: Attempt[] }
  | { found: false; message: string; tried: Attempt[]; installPython?: string; badSetting?: "serverPath" };

const LABELS: Record<Source, string> = {
  serverPath: "semcoder.serverPath",
  python: "semcoder.python",
  pythonExtension: "the Python extension's environment",
  path: "semcoder-lsp on PATH",
};

function hasSeparator(value: string): boolean {
  return value.includes("/") || value.includes("\\");
}

/** `~`, `${userHome}` and `${workspaceFolder}` expanded; a relative path made absolute against the workspace folder. */
export function expandPath(value: string, input: Pick<ResolutionInput, "workspaceFolder" | "home">): string {
  let out = value.trim();
  if (input.home) {
    out = out.replace(/\$\{userHome\}/g, input.home);
    if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
      out = input.home + out.slice(1);
    }
  }
  if (input.workspaceFolder) {
    out = out.replace(/\$\{workspaceFolder\}/g, input.workspaceFolder);
    if (hasSeparator(out) && !path.isAbsolute(out) && !/^[A-Za-z]:[\\/]/.test(out)) {
      out = path.join(input.workspaceFolder, out);
    }
  }
  return out;
}

/** A setting naming a program: a path (checked to exist) or a bare name (looked up on PATH). */
async function locate(value: string, input: ResolutionInput, probes: Probes): Promise<string | undefined> {
  const expanded = expandPath(value, input);
  if (hasSeparator(expanded)) {
    return (await probes.exists(expanded)) ? expanded : undefined;
  }
  return probes.which(expanded);
}

function pythonNames(platform: NodeJS.Platform): string[] {
  return platform === "win32" ? ["python", "py"] : ["python3", "python"];
}

/** Decide the server command. Never throws for a missing server: the answer says what was tried. */
export async function resolveServer(input: ResolutionInput, probes: Probes): Promise<Resolution> {
  const platform = input.platform ?? process.platform;
  const tried: Attempt[] = [];
  const serverPath = input.serverPath?.trim();
  if (serverPath) {
    const found = await locate(serverPath, input, probes);
    if (found) {
      return { found: true, server: { command: found, args: [], source: "serverPath" }, tried };
    }
    // An explicit server that is not there is a mistake to fix, not something to work around.
    tried.push({ source: "serverPath", detail: `${expandPath(serverPath, input)} does not exist` });
    return {
      found: false,
      badSetting: "serverPath",
      tried,
      message: `semcoder: semcoder.serverPath is set to "${serverPath}", which was not found. Fix the setting or clear it.`,
    };
  }

  let installPython: string | undefined;
  const pythons: [Source, string | null | undefined][] = [
    ["python", input.python],
    ["pythonExtension", input.pythonExtension],
  ];
  const seen = new Set<string>();
  for (const [source, value] of pythons) {
    if (!value || !value.trim()) {
      continue;
    }
    const python = await locate(value, input, probes);
    if (!python) {
      tried.push({ source, detail: `${expandPath(value, input)} was not found` });
      continue;
    }
    installPython ??= python;
    if (seen.has(python)) {
      continue;
    }
    seen.add(python);
    if (await probes.hasServer(python)) {
      return { found: true, server: { command: python, args: ["-m", "semcoder_lsp"], source, python }, tried };
    }
    tried.push({ source, detail: `semcoder is not installed in ${python}` });
  }

  const onPath = await probes.which(platform === "win32" ? "semcoder-lsp.exe" : "semcoder-lsp");
  if (onPath) {
    return { found: true, server: { command: onPath, args: [], source: "path" }, tried };
  }
  tried.push({ source: "path", detail: "no semcoder-lsp on PATH" });

  if (!installPython) {
    for (const name of pythonNames(platform)) {
      installPython = await probes.which(name);
      if (installPython) {
        break;
      }
    }
  }
  const where = tried.map((t) => `${LABELS[t.source]}: ${t.detail}`).join("; ");
  const message = installPython
    ? `semcoder: the semcoder language server was not found (${where}). Install semcoder into ${installPython}?`
    : `semcoder: the semcoder language server was not found (${where}), and no Python either. Install Python 3.9+ and semcoder, or set semcoder.python.`;
  return { found: false, message, tried, installPython };
}

function quote(value: string, platform: NodeJS.Platform): string {
  if (platform === "win32") {
    return `"${value.replace(/"/g, '""')}"`;
  }
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The terminal line that installs semcoder into `python` (PowerShell needs `&` before a quoted program). */
export function installCommand(python: string, platform: NodeJS.Platform = process.platform): string {
  const program = quote(python, platform);
  return `${platform === "win32" ? "& " : ""}${program} -m pip install semcoder`;
}

/**
 * The environment prefix of an interpreter (`/p/.venv/bin/python` -> `/p/.venv`), given to the server
 * as `VIRTUAL_ENV`: the server runs code in the project's `.venv`, else `$VIRTUAL_ENV`, else its own
 * interpreter, so this makes the Python extension's choice the fallback without overriding
 * `semcoder.python` or `[tool.semcoder] python`.
 */
export function environmentPrefix(interpreter: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === "win32") {
    return undefined; // the server looks for bin/python only
  }
  const dir = path.posix.dirname(interpreter);
  return path.posix.basename(dir) === "bin" ? path.posix.dirname(dir) : undefined;
}
