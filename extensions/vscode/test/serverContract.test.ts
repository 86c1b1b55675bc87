/**
 * The extension against the real semcoder language server (skipped where no Python has semcoder):
 * the commands the middleware completes exist, progress messages classify as the status bar
 * expects, and the answers of selectRun / runTimeline / traceCall / explainExecution fit the
 * pure modules that consume them. Runs on a copy of examples/inventory, as VS Code would talk.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { errorMessage, failingTests, isExplanationUri, runItems, type RunsAnswer } from "../src/runs";
import { classify, isBackground } from "../src/status";
import { type TimelineData, TimelineState } from "../src/timelineState";

const here = path.dirname(fileURLToPath(import.meta.url));
const example = path.resolve(here, "../../../examples/inventory");

function pythonWithServer(): string | undefined {
  for (const python of [process.env.SEMCODER_TEST_PYTHON, "python3", "python"]) {
    if (!python) {
      continue;
    }
    try {
      execFileSync(python, ["-c", "import semcoder_lsp"], { stdio: "ignore" });
      return python;
    } catch {
      // next
    }
  }
  return undefined;
}

const python = existsSync(example) ? pythonWithServer() : undefined;

describe("the real server", { skip: python ? false : "no Python with semcoder_lsp (set SEMCODER_TEST_PYTHON)", timeout: 180_000 }, () => {
  let dir: string;
  let proc: ChildProcess;
  let conn: ProtocolConnection;
  let commands: string[] = [];
  const progress: string[] = [];
  const shown: string[] = [];
  let statsUri: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "semcoder-ext-"));
    cpSync(example, dir, { recursive: true });
    const stats = path.join(dir, "inventory", "stats.py");
    statsUri = pathToFileURL(stats).toString();
    proc = spawn(python!, ["-m", "semcoder_lsp", "--stdio"], { cwd: dir, stdio: ["pipe", "pipe", "ignore"] });
    conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.onRequest("window/workDoneProgress/create", () => null);
    conn.onNotification("$/progress", (p: { value: { kind: string; message?: string } }) => {
      if (p.value.kind === "begin") {
        progress.push(p.value.message ?? "");
      }
    });
    conn.onRequest("workspace/configuration", (p: { items: unknown[] }) => p.items.map(() => ({})));
    conn.onRequest("window/showDocument", (p: { uri: string }) => {
      shown.push(p.uri);
      return { success: true };
    });
    conn.onRequest("workspace/inlayHint/refresh", () => null);
    conn.onRequest("workspace/codeLens/refresh", () => null);
    conn.onNotification("window/showMessage", () => undefined);
    conn.onNotification("window/logMessage", () => undefined);
    const diagnostics = new Promise<void>((resolve) => {
      conn.onNotification("textDocument/publishDiagnostics", (p: { uri: string }) => {
        if (p.uri === statsUri) {
          resolve();
        }
      });
    });
    conn.listen();
    const root = pathToFileURL(dir).toString();
    const init = (await conn.sendRequest("initialize", {
      processId: process.pid,
      rootUri: root,
      workspaceFolders: [{ uri: root, name: "inventory" }],
      capabilities: {
        window: { workDoneProgress: true, showDocument: { support: true } },
        workspace: { configuration: true, inlayHint: { refreshSupport: true } },
      },
      initializationOptions: {},
    })) as { capabilities: { executeCommandProvider?: { commands: string[] } } };
    commands = init.capabilities.executeCommandProvider?.commands ?? [];
    await conn.sendNotification("initialized", {});
    await conn.sendNotification("textDocument/didOpen", {
      textDocument: { uri: statsUri, languageId: "python", version: 1, text: readFileSync(stats, "utf8") },
    });
    await diagnostics;
  });

  after(async () => {
    try {
      await conn.sendRequest("shutdown");
      await conn.sendNotification("exit");
    } catch {
      // already gone
    }
    conn?.dispose();
    proc?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = <T>(command: string, ...args: unknown[]) => conn.sendRequest("workspace/executeCommand", { command, arguments: args }) as Promise<T>;

  it("offers every command the extension completes", () => {
    for (const c of ["semcoder.traceCall", "semcoder.selectRun", "semcoder.explainExecution", "semcoder.explainFailure", "semcoder.suggestFix", "semcoder.runTimeline"]) {
      assert.ok(commands.includes(c), c);
    }
  });

  it("reports its test runs as tracing", () => {
    assert.ok(progress.length > 0);
    for (const message of progress) {
      assert.match(message, /^Tracing /);
      assert.equal(classify(message), "tracing");
      assert.equal(isBackground(message), true);
    }
  });

  it("lists the file's runs for the pickers", async () => {
    const answer = await run<RunsAnswer>("semcoder.selectRun", statsUri);
    const failing = failingTests(answer).map((r) => r.label);
    assert.ok(failing.includes("tests/test_stats.py::test_percentile_100_is_the_maximum"), failing.join(", "));
    const items = runItems(answer);
    assert.equal(items.filter((i) => i.picked).length, 1);
  });

  it("answers runTimeline in the shape TimelineState reads", async () => {
    const data = await run<TimelineData>("semcoder.runTimeline", statsUri);
    assert.equal(data.run.label, "tests/test_stats.py::test_percentile_100_is_the_maximum");
    const state = new TimelineState(data);
    assert.ok(state.count >= 5);
    const upper = data.steps.findIndex((s) => "upper" in s.changes);
    state.seek(upper);
    assert.deepEqual(state.variables().find((r) => r.name === "upper"), { name: "upper", value: "7", changed: true });
    assert.deepEqual(state.highlight(), { uri: statsUri, line: 37 });
    assert.match(state.view().outcome, /^raised IndexError/);
  });

  it("shows a traced call in the timeline", async () => {
    const result = await run<{ status: string; returnRepr: string; runId: string }>("semcoder.traceCall", statsUri, "median([3, 1, 2])");
    assert.equal(result.status, "ok");
    assert.equal(result.returnRepr, "2");
    assert.equal(classify(progress[progress.length - 1]), "tracing");
    assert.equal(isBackground(progress[progress.length - 1]), false);
    const data = await run<TimelineData>("semcoder.runTimeline", statsUri);
    assert.equal(data.run.id, result.runId);
    const state = new TimelineState(data);
    state.last();
    assert.equal(state.view().outcome, "returned 2");
  });

  it("explains an execution without a model as tracing, in a document the client renders", async () => {
    const result = await run<{ status: string; path: string; shown: boolean }>("semcoder.explainExecution", statsUri, 20);
    assert.equal(result.status, "ok");
    assert.match(progress[progress.length - 1], /^Explaining .*\(the tracer\)$/);
    assert.equal(classify(progress[progress.length - 1]), "tracing");
    assert.ok(shown.length > 0 && isExplanationUri(shown[shown.length - 1]), shown.join(", "));
  });

  it("sends errors the client can turn into a sentence", async () => {
    await assert.rejects(run("semcoder.runTimeline", "file:///nowhere/x.py"), (error: Error) => {
      const message = errorMessage(error);
      assert.doesNotMatch(message, /SemcoderError/);
      assert.match(message, /^semcoder/);
      return true;
    });
  });
});
