/**
 * package.json against the code and the server: every server setting is contributed (and nothing
 * else under `semcoder.`), each with a description; the defaults match the server's own
 * (`semcoder_core.config.Settings`) when a Python with semcoder is at hand; every command the
 * server offers has a palette entry.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLIENT_ONLY_KEYS, SERVER_KEYS } from "../src/settings";

interface Property {
  type?: string | string[];
  default?: unknown;
  enum?: string[];
  description?: string;
  markdownDescription?: string;
}

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const properties: Record<string, Property> = manifest.contributes.configuration.properties;
const contributed = Object.keys(properties).map((k) => k.replace(/^semcoder\./, ""));

/** The server's defaults, camelCase and dotted, from the Python settings model; undefined without semcoder. */
function serverDefaults(): Record<string, unknown> | undefined {
  const script = `
import json, re
from semcoder_core.config import Settings
def camel(s): return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), s)
flat = {}
def walk(prefix, value):
    if isinstance(value, dict) and prefix not in ("model.extraBody",):
        for k, v in value.items():
            walk((prefix + "." if prefix else "") + camel(k), v)
    else:
        flat[prefix] = value
walk("", Settings.model_construct().model_dump() | {"python": None})
print(json.dumps(flat))
`;
  for (const python of [process.env.SEMCODER_TEST_PYTHON, "python3", "python"]) {
    if (!python) {
      continue;
    }
    try {
      const out = execFileSync(python, ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      return JSON.parse(out);
    } catch {
      // next candidate
    }
  }
  return undefined;
}

describe("package.json configuration", () => {
  it("contributes exactly the server's keys plus the client's own", () => {
    assert.deepEqual([...contributed].sort(), [...SERVER_KEYS, ...CLIENT_ONLY_KEYS].sort());
  });

  it("covers design.md's settings contract", () => {
    for (const key of [
      "python",
      "run.timeoutSeconds",
      "run.memoryMb",
      "annotations.enabled",
      "annotations.maxValuesPerLine",
      "model.backend",
      "model.path",
      "model.url",
      "model.name",
      "model.apiKeyEnv",
      "model.maxTokens",
      "model.temperature",
    ]) {
      assert.ok(contributed.includes(key), key);
    }
  });

  it("describes every setting", () => {
    for (const [key, property] of Object.entries(properties)) {
      assert.ok((property.markdownDescription ?? property.description ?? "").length > 15, `${key} has no description`);
      assert.ok("default" in property, `${key} has no default`);
    }
  });

  it("offers the backends as an enum", () => {
    assert.deepEqual(properties["semcoder.model.backend"].enum, ["none", "llama-cpp", "transformers", "vllm", "openai"]);
    assert.equal(properties["semcoder.model.backend"].default, "none");
    assert.deepEqual(properties["semcoder.trace.server"].enum, ["off", "messages", "verbose"]);
  });

  it("shows the server's defaults", (t) => {
    const defaults = serverDefaults();
    if (!defaults) {
      t.skip("no Python with semcoder_core here (set SEMCODER_TEST_PYTHON)");
      return;
    }
    for (const key of SERVER_KEYS) {
      assert.ok(key in defaults, `the server has no setting ${key}`);
      assert.deepEqual(properties[`semcoder.${key}`].default, defaults[key], `default of ${key}`);
    }
  });
});

describe("package.json commands", () => {
  const commands: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);

  it("lists the server's commands and the client's", () => {
    for (const command of [
      "semcoder.traceCall",
      "semcoder.selectRun",
      "semcoder.explainExecution",
      "semcoder.explainFailure",
      "semcoder.suggestFix",
      "semcoder.restart",
      "semcoder.showOutput",
      "semcoder.showTimeline",
    ]) {
      assert.ok(commands.includes(command), command);
    }
  });

  it("puts every command in the semcoder category", () => {
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, "semcoder", c.command);
    }
  });

  it("activates on Python files and needs VS Code 1.91 (vscode-languageclient 11)", () => {
    assert.ok(manifest.activationEvents.includes("onLanguage:python"));
    assert.equal(manifest.engines.vscode, "^1.91.0");
    assert.equal(manifest.main, "./dist/extension.js");
  });
});
