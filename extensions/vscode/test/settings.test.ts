import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ConfigurationLike,
  explicitSettings,
  explicitValue,
  type Inspected,
  needsRestart,
  serverSettings,
  toServerSection,
} from "../src/settings";

function config(values: Record<string, Inspected>): ConfigurationLike {
  return { inspect: (key) => values[key] ?? { defaultValue: undefined } };
}

describe("explicitValue", () => {
  it("ignores defaults", () => {
    assert.equal(explicitValue({ defaultValue: 10 }), undefined);
    assert.equal(explicitValue(undefined), undefined);
  });

  it("takes the most specific scope", () => {
    assert.equal(explicitValue({ defaultValue: 10, globalValue: 20 }), 20);
    assert.equal(explicitValue({ globalValue: 20, workspaceValue: 30 }), 30);
    assert.equal(explicitValue({ globalValue: 20, workspaceValue: 30, workspaceFolderValue: 40 }), 40);
    assert.equal(explicitValue({ workspaceFolderValue: 40, globalLanguageValue: 5 }), 5);
    assert.equal(explicitValue({ globalLanguageValue: 5, workspaceFolderLanguageValue: 6 }), 6);
  });

  it("keeps a value the user set equal to the default (their choice beats pyproject.toml)", () => {
    assert.equal(explicitValue({ defaultValue: 10, globalValue: 10 }), 10);
  });

  it("keeps false and 0", () => {
    assert.equal(explicitValue({ defaultValue: true, workspaceValue: false }), false);
    assert.equal(explicitValue({ defaultValue: 2, globalValue: 0 }), 0);
  });
});

describe("toServerSection", () => {
  it("nests dotted keys in camelCase, as the server's section", () => {
    assert.deepEqual(
      toServerSection({ "run.timeoutSeconds": 5, "run.memoryMb": 512, "model.backend": "openai", "model.url": "http://x", python: "/p" }),
      { run: { timeoutSeconds: 5, memoryMb: 512 }, model: { backend: "openai", url: "http://x" }, python: "/p" },
    );
  });

  it("drops client-only keys", () => {
    assert.deepEqual(toServerSection({ serverPath: "/bin/semcoder-lsp", "trace.server": "verbose", "trace.maxRepr": 50 }), {
      trace: { maxRepr: 50 },
    });
  });

  it("drops empty values so the next source applies", () => {
    assert.deepEqual(toServerSection({ python: "", "model.path": null, "model.name": "  ", "model.seed": 0 }), { model: { seed: 0 } });
  });

  it("passes objects through whole", () => {
    assert.deepEqual(toServerSection({ "model.extraBody": { repeat_penalty: 1.0 } }), { model: { extraBody: { repeat_penalty: 1.0 } } });
  });
});

describe("serverSettings", () => {
  it("is empty when nothing is set, so pyproject.toml and the server's defaults apply", () => {
    assert.deepEqual(serverSettings(config({})), {});
  });

  it("forwards only what the user set", () => {
    const c = config({
      "run.timeoutSeconds": { defaultValue: 10, workspaceValue: 3 },
      "run.memoryMb": { defaultValue: 1024 },
      "annotations.enabled": { defaultValue: true, globalValue: false },
      "model.backend": { defaultValue: "none", globalValue: "llama-cpp" },
      "model.path": { defaultValue: null, globalValue: "/m/x.gguf" },
      "model.temperature": { defaultValue: 0.2 },
      serverPath: { globalValue: "/opt/semcoder-lsp" },
      "trace.server": { globalValue: "verbose" },
    });
    assert.deepEqual(serverSettings(c), {
      run: { timeoutSeconds: 3 },
      annotations: { enabled: false },
      model: { backend: "llama-cpp", path: "/m/x.gguf" },
    });
  });

  it("reads only server keys", () => {
    const asked: string[] = [];
    explicitSettings({ inspect: (key) => (asked.push(key), undefined) });
    assert.ok(asked.includes("model.apiKeyEnv"));
    assert.ok(!asked.includes("serverPath"));
    assert.ok(!asked.includes("trace.server"));
  });
});

describe("needsRestart", () => {
  it("restarts for the settings that choose the server", () => {
    assert.equal(needsRestart((s) => s === "semcoder.python"), true);
    assert.equal(needsRestart((s) => s === "semcoder.serverPath"), true);
  });

  it("does not restart for settings the server takes live", () => {
    assert.equal(needsRestart((s) => s === "semcoder.run.timeoutSeconds"), false);
    assert.equal(needsRestart((s) => s === "semcoder.model.backend"), false);
  });
});
