import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { hasServer, nodeProbes, which } from "../src/probes";

describe("probes", { skip: process.platform === "win32" ? "POSIX shell scripts" : false }, () => {
  it("finds executables on PATH, not plain files", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "semcoder-probe-"));
    try {
      writeFileSync(path.join(dir, "semcoder-lsp"), "#!/bin/sh\n");
      chmodSync(path.join(dir, "semcoder-lsp"), 0o755);
      writeFileSync(path.join(dir, "not-executable"), "");
      assert.equal(await which("semcoder-lsp", { PATH: `/nonexistent${path.delimiter}${dir}` }), path.join(dir, "semcoder-lsp"));
      assert.equal(await which("not-executable", { PATH: dir }), undefined);
      assert.equal(await which("semcoder-lsp", { PATH: "" }), undefined);
      assert.equal(await nodeProbes.exists(path.join(dir, "semcoder-lsp")), true);
      assert.equal(await nodeProbes.exists(dir), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asks an interpreter whether semcoder_lsp imports", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "semcoder-probe-"));
    try {
      // Stand-ins for interpreters: one where the import works, one where it fails.
      const good = path.join(dir, "good");
      const bad = path.join(dir, "bad");
      writeFileSync(good, '#!/bin/sh\n[ "$1" = "-c" ] && [ "$2" = "import semcoder_lsp" ] && exit 0\nexit 3\n');
      writeFileSync(bad, "#!/bin/sh\nexit 1\n");
      chmodSync(good, 0o755);
      chmodSync(bad, 0o755);
      assert.equal(await hasServer(good), true);
      assert.equal(await hasServer(bad), false);
      assert.equal(await hasServer(path.join(dir, "missing")), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
