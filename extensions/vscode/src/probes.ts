/** The real probes for server resolution: PATH lookup, file checks, and "is semcoder importable here". */

import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import * as path from "node:path";
import type { Probes } from "./serverResolution";

async function executable(file: string): Promise<boolean> {
  try {
    await fs.access(file, process.platform === "win32" ? constants.F_OK : constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

export async function which(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter(Boolean);
  const extensions = process.platform === "win32" ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";")] : [""];
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = path.join(dir, command + ext);
      if (await executable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** `python -c "import semcoder_lsp"`, bounded: a broken interpreter must not hold up the start. */
export function hasServer(python: string, timeoutMs = 20_000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ["-c", "import semcoder_lsp"], { timeout: timeoutMs, windowsHide: true }, (error) => resolve(!error));
  });
}

export const nodeProbes: Probes = { which: (c) => which(c), exists: executable, hasServer: (p) => hasServer(p) };
