import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { environmentPrefix, expandPath, installCommand, type Probes, resolveServer } from "../src/serverResolution";

/** A fake machine: files that exist, commands on PATH, interpreters with semcoder installed. */
function machine(opts: { files?: string[]; path?: Record<string, string>; withSemcoder?: string[] }): Probes & { probed: string[] } {
  const probed: string[] = [];
  return {
    probed,
    which: async (c) => opts.path?.[c],
    exists: async (f) => (opts.files ?? []).includes(f),
    hasServer: async (p) => {
      probed.push(p);
      return (opts.withSemcoder ?? []).includes(p);
    },
  };
}

const base = { workspaceFolder: "/ws", home: "/home/u", platform: "linux" as const };

describe("resolveServer", () => {
  it("uses semcoder.serverPath as is, before anything else", async () => {
    const m = machine({ files: ["/opt/bin/semcoder-lsp"], path: { "semcoder-lsp": "/usr/bin/semcoder-lsp" }, withSemcoder: ["/py"] });
    const r = await resolveServer({ ...base, serverPath: "/opt/bin/semcoder-lsp", python: "/py" }, m);
    assert.ok(r.found);
    assert.deepEqual(r.server, { command: "/opt/bin/semcoder-lsp", args: [], source: "serverPath" });
    assert.deepEqual(m.probed, []);
  });

  it("reports a serverPath that does not exist instead of quietly using another server", async () => {
    const m = machine({ path: { "semcoder-lsp": "/usr/bin/semcoder-lsp" } });
    const r = await resolveServer({ ...base, serverPath: "~/bin/semcoder-lsp" }, m);
    assert.equal(r.found, false);
    assert.ok(!r.found && r.badSetting === "serverPath");
    assert.match(!r.found ? r.message : "", /semcoder\.serverPath.*not found/);
    assert.equal(r.tried[0].detail, "/home/u/bin/semcoder-lsp does not exist");
  });

  it("looks up a bare serverPath on PATH", async () => {
    const r = await resolveServer({ ...base, serverPath: "semcoder-lsp" }, machine({ path: { "semcoder-lsp": "/usr/local/bin/semcoder-lsp" } }));
    assert.ok(r.found && r.server.command === "/usr/local/bin/semcoder-lsp");
  });

  it("starts `python -m semcoder_lsp` from semcoder.python when semcoder is installed there", async () => {
    const m = machine({ files: ["/ws/.venv/bin/python"], withSemcoder: ["/ws/.venv/bin/python"] });
    const r = await resolveServer({ ...base, python: ".venv/bin/python" }, m);
    assert.ok(r.found);
    assert.deepEqual(r.server, { command: "/ws/.venv/bin/python", args: ["-m", "semcoder_lsp"], source: "python", python: "/ws/.venv/bin/python" });
  });

  it("expands ${workspaceFolder} in semcoder.python", async () => {
    const m = machine({ files: ["/ws/env/bin/python"], withSemcoder: ["/ws/env/bin/python"] });
    const r = await resolveServer({ ...base, python: "${workspaceFolder}/env/bin/python" }, m);
    assert.ok(r.found && r.server.command === "/ws/env/bin/python");
  });

  it("passes over semcoder.python without semcoder to the Python extension's environment", async () => {
    const m = machine({ files: ["/proj/bin/python", "/conda/bin/python"], withSemcoder: ["/conda/bin/python"] });
    const r = await resolveServer({ ...base, python: "/proj/bin/python", pythonExtension: "/conda/bin/python" }, m);
    assert.ok(r.found);
    assert.equal(r.server.source, "pythonExtension");
    assert.deepEqual(r.server.args, ["-m", "semcoder_lsp"]);
    assert.deepEqual(r.tried, [{ source: "python", detail: "semcoder is not installed in /proj/bin/python" }]);
  });

  it("falls back to semcoder-lsp on PATH", async () => {
    const m = machine({ files: ["/env/bin/python"], path: { "semcoder-lsp": "/usr/bin/semcoder-lsp" } });
    const r = await resolveServer({ ...base, pythonExtension: "/env/bin/python" }, m);
    assert.ok(r.found);
    assert.deepEqual(r.server, { command: "/usr/bin/semcoder-lsp", args: [], source: "path" });
  });

  it("probes an interpreter named twice only once", async () => {
    const m = machine({ files: ["/env/bin/python"], path: { "semcoder-lsp": "/usr/bin/semcoder-lsp" } });
    await resolveServer({ ...base, python: "/env/bin/python", pythonExtension: "/env/bin/python" }, m);
    assert.deepEqual(m.probed, ["/env/bin/python"]);
  });

  it("offers to install into the chosen interpreter when nothing is found", async () => {
    const m = machine({ files: ["/proj/bin/python", "/env/bin/python"], path: { python3: "/usr/bin/python3" } });
    const r = await resolveServer({ ...base, python: "/proj/bin/python", pythonExtension: "/env/bin/python" }, m);
    assert.equal(r.found, false);
    assert.ok(!r.found);
    assert.equal(r.installPython, "/proj/bin/python");
    assert.match(r.message, /semcoder\.python: semcoder is not installed in \/proj\/bin\/python/);
    assert.match(r.message, /Python extension's environment: semcoder is not installed in \/env\/bin\/python/);
    assert.match(r.message, /no semcoder-lsp on PATH/);
    assert.match(r.message, /Install semcoder into \/proj\/bin\/python\?/);
  });

  it("offers python3 from PATH when no interpreter is configured", async () => {
    const r = await resolveServer(base, machine({ path: { python3: "/usr/bin/python3" } }));
    assert.ok(!r.found && r.installPython === "/usr/bin/python3");
  });

  it("says so when there is no Python at all", async () => {
    const r = await resolveServer(base, machine({}));
    assert.ok(!r.found);
    assert.equal(r.installPython, undefined);
    assert.match(r.message, /no Python either/);
  });

  it("mentions a configured interpreter that does not exist", async () => {
    const r = await resolveServer({ ...base, python: "/nope/python" }, machine({ path: { "semcoder-lsp": "/b/semcoder-lsp" } }));
    assert.ok(r.found);
    assert.deepEqual(r.tried[0], { source: "python", detail: "/nope/python was not found" });
  });

  it("looks for semcoder-lsp.exe on Windows", async () => {
    const r = await resolveServer({ ...base, platform: "win32" }, machine({ path: { "semcoder-lsp.exe": "C:\\py\\Scripts\\semcoder-lsp.exe" } }));
    assert.ok(r.found && r.server.command.endsWith("semcoder-lsp.exe"));
  });
});

describe("expandPath", () => {
  it("expands the home folder and the workspace folder", () => {
    assert.equal(expandPath("~/x/python", base), "/home/u/x/python");
    assert.equal(expandPath("${userHome}/py", base), "/home/u/py");
    assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", base), "/ws/.venv/bin/python");
    assert.equal(expandPath("./venv/bin/python", base), "/ws/venv/bin/python");
  });

  it("leaves absolute paths and bare names alone", () => {
    assert.equal(expandPath("/usr/bin/python3", base), "/usr/bin/python3");
    assert.equal(expandPath("python3", base), "python3");
  });
});

describe("installCommand", () => {
  it("runs pip of the chosen interpreter", () => {
    assert.equal(installCommand("/ws/.venv/bin/python", "linux"), "/ws/.venv/bin/python -m pip install semcoder");
  });

  it("quotes paths with spaces and quotes", () => {
    assert.equal(installCommand("/My Envs/bin/python", "darwin"), "'/My Envs/bin/python' -m pip install semcoder");
    assert.equal(installCommand("/it's/python", "linux"), "'/it'\\''s/python' -m pip install semcoder");
  });

  it("calls a quoted program with & in PowerShell", () => {
    assert.equal(installCommand("C:\\Program Files\\Python\\python.exe", "win32"), '& "C:\\Program Files\\Python\\python.exe" -m pip install semcoder');
  });
});

describe("environmentPrefix", () => {
  it("is the folder above bin/", () => {
    assert.equal(environmentPrefix("/p/.venv/bin/python", "linux"), "/p/.venv");
    assert.equal(environmentPrefix("/opt/conda/envs/x/bin/python3.11", "darwin"), "/opt/conda/envs/x");
  });

  it("is undefined for other layouts", () => {
    assert.equal(environmentPrefix("/usr/local/python", "linux"), undefined);
    assert.equal(environmentPrefix("C:\\env\\Scripts\\python.exe", "win32"), undefined);
  });
});
