/**
 * The UI side of the server's commands. The language client registers `semcoder.traceCall`,
 * `semcoder.selectRun`, … from the server's capabilities; this middleware completes their arguments
 * (the active file, the cursor line, an expression typed by the user, a run or failing test picked
 * from the server's answer) and shows their results. Code lenses and code actions pass complete
 * arguments and go straight through (Trace call… still asks, prefilled with the lens' guess).
 */

import * as vscode from "vscode";
import type { ExecuteCommandSignature } from "vscode-languageclient/node";
import { errorMessage, expressionGuess, failingTests, runItems, type RunsAnswer, validateExpression } from "./runs";
import type { ServerManager } from "./server";

type Args = unknown[];

function activePython(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  return editor && editor.document.languageId === "python" ? editor : undefined;
}

export class Commands {
  constructor(private readonly manager: ServerManager) {}

  /** `middleware.executeCommand` of the language client. */
  readonly middleware = async (command: string, args: Args, next: ExecuteCommandSignature): Promise<unknown> => {
    try {
      switch (command) {
        case "semcoder.traceCall":
          return await this.traceCall(args, next);
        case "semcoder.selectRun":
          return await this.selectRun(args, next);
        case "semcoder.explainExecution":
          return await this.explainExecution(args, next);
        case "semcoder.explainFailure":
        case "semcoder.suggestFix":
          return await this.onFailingTest(command, args, next);
        default:
          return await next(command, args);
      }
    } catch (error) {
      if (error instanceof vscode.CancellationError || (error as { code?: number })?.code === -32800) {
        return undefined;
      }
      const message = errorMessage(error);
      this.manager.output.error(`${command}: ${message}`);
      void vscode.window.showErrorMessage(message);
      return undefined;
    }
  };

  /** The file argument: given, else the active Python editor's. */
  private uriArg(args: Args): string | undefined {
    if (typeof args[0] === "string" && args[0]) {
      return args[0];
    }
    if (args[0] instanceof vscode.Uri) {
      return this.manager.protocolUri(args[0]);
    }
    const editor = activePython();
    if (!editor) {
      void vscode.window.showInformationMessage("semcoder: open a Python file of the workspace first.");
      return undefined;
    }
    return this.manager.protocolUri(editor.document.uri);
  }

  private async traceCall(args: Args, next: ExecuteCommandSignature): Promise<unknown> {
    const uri = this.uriArg(args);
    if (!uri) {
      return undefined;
    }
    const expression = await vscode.window.showInputBox({
      title: "semcoder: Trace call",
      prompt: "A call of code in this file, evaluated with your unsaved edits",
      placeHolder: "median([3, 1, 2])",
      value: expressionGuess(args),
      ignoreFocusOut: true,
      validateInput: validateExpression,
    });
    if (!expression) {
      return undefined;
    }
    const result = (await next("semcoder.traceCall", [uri, expression.trim()])) as
      | { status?: string; label?: string; returnRepr?: string | null; message?: string | null }
      | undefined;
    this.manager.notifyRunsChanged();
    if (result?.status === "ok") {
      vscode.window.setStatusBarMessage(`semcoder: ${result.label ?? expression} → ${result.returnRepr ?? "None"}`, 8000);
    } else if (result?.status && result.status !== "cancelled") {
      void vscode.window.showWarningMessage(
        `semcoder: ${result.label ?? expression} ${result.status}${result.message ? `: ${result.message}` : ""}`,
      );
    }
    return result;
  }

  private async selectRun(args: Args, next: ExecuteCommandSignature): Promise<unknown> {
    const uri = this.uriArg(args);
    if (!uri) {
      return undefined;
    }
    if (typeof args[1] === "string" && args[1]) {
      const answer = await next("semcoder.selectRun", [uri, args[1]]);
      this.manager.notifyRunsChanged();
      return answer;
    }
    const answer = (await next("semcoder.selectRun", [uri])) as RunsAnswer | undefined;
    if (!answer || answer.runs.length === 0) {
      void vscode.window.showInformationMessage("semcoder: no run covers this file yet (no test reaches it). Try Trace Call…");
      return answer;
    }
    const items = runItems(answer);
    const picked = await vscode.window.showQuickPick(items, {
      title: "semcoder: show the states of which run?",
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!picked) {
      return answer;
    }
    const result = await next("semcoder.selectRun", [uri, picked.id]);
    this.manager.notifyRunsChanged();
    return result;
  }

  private async explainExecution(args: Args, next: ExecuteCommandSignature): Promise<unknown> {
    let uri: string | undefined;
    let line: number | undefined;
    if (typeof args[0] === "string" && typeof args[1] === "number") {
      [uri, line] = [args[0], args[1]];
    } else {
      const editor = activePython();
      uri = this.uriArg(args);
      line = editor?.selection.active.line;
    }
    if (!uri || line === undefined) {
      return undefined;
    }
    const rest = typeof args[2] === "string" ? [args[2]] : [];
    const result = (await next("semcoder.explainExecution", [uri, line, ...rest])) as
      | { path?: string; shown?: boolean; status?: string }
      | undefined;
    await this.showMarkdown(result);
    return result;
  }

  private async onFailingTest(command: string, args: Args, next: ExecuteCommandSignature): Promise<unknown> {
    const uri = this.uriArg(args);
    if (!uri) {
      return undefined;
    }
    let nodeId = typeof args[1] === "string" ? args[1] : "";
    if (!nodeId) {
      const runs = (await next("semcoder.selectRun", [uri])) as RunsAnswer | undefined;
      const failing = runs ? failingTests(runs) : [];
      if (failing.length === 0) {
        void vscode.window.showInformationMessage("semcoder: no failing test covers this file.");
        return undefined;
      }
      const what = command === "semcoder.suggestFix" ? "Suggest a fix for" : "Explain";
      const picked =
        failing.length === 1
          ? failing[0]
          : (
              await vscode.window.showQuickPick(
                failing.map((run) => ({ label: run.label, detail: run.message ?? undefined, run })),
                { title: `semcoder: ${what} which failing test?` },
              )
            )?.run;
      if (!picked) {
        return undefined;
      }
      nodeId = picked.label;
    }
    const result = (await next(command, [uri, nodeId])) as { path?: string; shown?: boolean } | undefined;
    if (command === "semcoder.explainFailure") {
      await this.showMarkdown(result);
    }
    return result;
  }

  /** The server opens explanations itself (window/showDocument); a client that could not gets them here. */
  private async showMarkdown(result: { path?: string; shown?: boolean } | undefined): Promise<void> {
    if (!result?.path || result.shown) {
      return;
    }
    const uri = vscode.Uri.file(result.path);
    try {
      await vscode.commands.executeCommand("markdown.showPreviewToSide", uri);
    } catch {
      await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, preview: true });
    }
  }
}
