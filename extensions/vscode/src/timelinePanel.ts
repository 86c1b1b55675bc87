/**
 * The execution timeline: a webview stepping through the selected run of a file (from the server's
 * `semcoder.runTimeline`), with the current step's line highlighted in the editor. The state lives
 * in `TimelineState` (pure); the webview only draws what it is sent and posts back button presses.
 */

import * as vscode from "vscode";
import { errorMessage } from "./runs";
import type { ServerManager } from "./server";
import { type TimelineData, TimelineState, type TimelineView } from "./timelineState";

type FromWebview =
  | { type: "ready" }
  | { type: "seek"; index: number }
  | { type: "next" | "prev" | "first" | "last" | "refresh" | "selectRun" | "traceCall" };

export type ToWebview = { type: "view"; view: TimelineView } | { type: "empty"; message: string; file?: string };

function nonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < 32; i++) {
    out += chars.charAt(Math.floor(Math.random() * chars.length));
  }
  return out;
}

export class TimelinePanel implements vscode.Disposable {
  static current: TimelinePanel | undefined;

  private state: TimelineState | undefined;
  private last: ToWebview | undefined;
  private target: vscode.Uri | undefined;
  private sourceColumn: vscode.ViewColumn | undefined;
  private readonly decoration: vscode.TextEditorDecorationType;
  private readonly disposables: vscode.Disposable[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private loading = 0;

  /** Open (or reveal) the timeline for `uri`, by default the active Python editor's file. */
  static show(context: vscode.ExtensionContext, manager: ServerManager, uri?: vscode.Uri): void {
    const editor = vscode.window.activeTextEditor;
    const target = uri ?? (editor?.document.languageId === "python" ? editor.document.uri : undefined);
    if (TimelinePanel.current) {
      TimelinePanel.current.panel.reveal(undefined, true);
    } else {
      const panel = vscode.window.createWebviewPanel(
        "semcoder.timeline",
        "semcoder: timeline",
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        {
          enableScripts: true,
          localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, "dist"), vscode.Uri.joinPath(context.extensionUri, "media")],
        },
      );
      TimelinePanel.current = new TimelinePanel(panel, context, manager);
    }
    const current = TimelinePanel.current;
    current.sourceColumn = editor?.viewColumn ?? current.sourceColumn;
    if (target) {
      void current.load(target);
    } else if (!current.target) {
      current.post({ type: "empty", message: "Open a Python file of the workspace, then run semcoder: Show Execution Timeline." });
    }
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly manager: ServerManager,
  ) {
    this.decoration = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor("editor.stackFrameHighlightBackground"),
      overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.rangeHighlightForeground"),
      overviewRulerLane: vscode.OverviewRulerLane.Full,
    });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, "media", "timeline.svg");
    panel.webview.html = this.html();
    this.disposables.push(
      this.decoration,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: FromWebview) => this.onMessage(message)),
      panel.onDidChangeViewState(() => {
        // The line highlight belongs to the visible timeline: hidden behind another tab, it goes.
        if (!panel.visible) {
          this.clearHighlight();
          return;
        }
        if (this.last) {
          void panel.webview.postMessage(this.last);
        }
        void this.highlight(false);
      }),
      manager.onRunsChanged(() => this.scheduleReload(150)),
      manager.onClientChanged((client) => {
        if (client) {
          this.scheduleReload(500);
        }
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        // Edits move lines: the server maps steps to where their lines are now.
        if (this.target && event.document.uri.toString() === this.target.toString() && event.contentChanges.length) {
          this.scheduleReload(400);
        }
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.follow(editor)),
      vscode.window.onDidChangeVisibleTextEditors(() => {
        if (panel.visible) {
          void this.highlight(false);
        }
      }),
    );
  }

  /** Follow the active Python editor, unless it is a file the current run steps through. */
  private follow(editor: vscode.TextEditor | undefined): void {
    if (!editor || editor.document.languageId !== "python" || editor.document.uri.scheme !== "file") {
      return;
    }
    const uri = editor.document.uri.toString();
    const stepped = this.state?.data.steps.some((s) => this.manager.codeUri(s.uri).toString() === uri);
    if (uri !== this.target?.toString() && !stepped) {
      this.sourceColumn = editor.viewColumn;
      void this.load(editor.document.uri);
    }
  }

  private scheduleReload(delay: number): void {
    if (!this.target) {
      return;
    }
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      if (this.target) {
        void this.load(this.target);
      }
    }, delay);
  }

  async load(uri: vscode.Uri): Promise<void> {
    const changedFile = this.target?.toString() !== uri.toString();
    this.target = uri;
    const ticket = ++this.loading;
    const file = vscode.workspace.asRelativePath(uri);
    this.panel.title = `semcoder: ${uri.path.split("/").pop()}`;
    try {
      const data = await this.manager.execute<TimelineData>("semcoder.runTimeline", [this.manager.protocolUri(uri)]);
      if (ticket !== this.loading) {
        return; // a newer load is under way
      }
      this.state = TimelineState.carry(changedFile ? undefined : this.state, data);
      this.render(true);
    } catch (error) {
      if (ticket !== this.loading) {
        return;
      }
      this.state = undefined;
      this.clearHighlight();
      const message = errorMessage(error).replace(/^semcoder: /, "");
      this.post({ type: "empty", file, message: `No run to show for ${file} yet: ${message}` });
    }
  }

  private post(message: ToWebview): void {
    this.last = message;
    void this.panel.webview.postMessage(message);
  }

  private render(reveal: boolean): void {
    if (!this.state) {
      return;
    }
    this.post({ type: "view", view: this.state.view() });
    this.highlight(reveal);
  }

  private clearHighlight(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      editor.setDecorations(this.decoration, []);
    }
  }

  /** Highlight the current step's line in the editor that shows its file, opening it if needed. */
  private async highlight(reveal: boolean): Promise<void> {
    if (!this.panel.visible) {
      this.clearHighlight(); // behind another tab: no stray highlight in the editor
      return;
    }
    const target = this.state?.highlight();
    const uri = target ? this.manager.codeUri(target.uri) : undefined;
    for (const editor of vscode.window.visibleTextEditors) {
      if (!uri || editor.document.uri.toString() !== uri.toString()) {
        editor.setDecorations(this.decoration, []);
      }
    }
    if (!target || !uri) {
      return;
    }
    let editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    if (!editor && reveal) {
      try {
        editor = await vscode.window.showTextDocument(uri, {
          viewColumn: this.sourceColumn ?? vscode.ViewColumn.One,
          preserveFocus: true,
          preview: true,
        });
      } catch (error) {
        this.manager.output.warn(`timeline: cannot open ${uri.toString()}: ${String(error)}`);
        return;
      }
    }
    if (!editor || target.line >= editor.document.lineCount) {
      return;
    }
    const range = editor.document.lineAt(target.line).range;
    editor.setDecorations(this.decoration, [{ range }]);
    if (reveal) {
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  private onMessage(message: FromWebview): void {
    const state = this.state;
    switch (message.type) {
      case "ready":
        if (this.last) {
          void this.panel.webview.postMessage(this.last);
        }
        return;
      case "refresh":
        if (this.target) {
          void this.load(this.target);
        }
        return;
      case "selectRun":
        void vscode.commands.executeCommand("semcoder.selectRun", this.target && this.manager.protocolUri(this.target));
        return;
      case "traceCall":
        void vscode.commands.executeCommand("semcoder.traceCall", this.target && this.manager.protocolUri(this.target));
        return;
    }
    if (!state) {
      return;
    }
    const moved =
      message.type === "seek"
        ? state.seek(message.index)
        : message.type === "next"
          ? state.next()
          : message.type === "prev"
            ? state.prev()
            : message.type === "first"
              ? state.first()
              : state.last();
    if (moved) {
      this.render(true);
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, "dist", "webview.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, "media", "timeline.css"));
    const n = nonce();
    // No remote resources, no inline code: only this extension's files and one nonce'd script.
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${n}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>semcoder timeline</title>
</head>
<body>
<header>
  <div id="run" class="run"></div>
  <div class="actions">
    <button id="selectRun" class="link" title="Show another run of this file">Other run…</button>
    <button id="traceCall" class="link" title="Trace a call of code in this file">Trace call…</button>
    <button id="refresh" class="link" title="Ask the server again">Refresh</button>
  </div>
</header>
<main>
  <nav id="controls" aria-label="Steps">
    <button id="first" title="First step (Home)" aria-label="First step">«</button>
    <button id="prev" title="Previous step (←)" aria-label="Previous step">◀</button>
    <input id="slider" type="range" min="0" max="0" value="0" aria-label="Step">
    <button id="next" title="Next step (→)" aria-label="Next step">▶</button>
    <button id="last" title="Last step (End)" aria-label="Last step">»</button>
    <span id="counter" class="counter"></span>
  </nav>
  <div id="where" class="where"></div>
  <table id="variables">
    <thead><tr><th>variable</th><th>value</th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="message" class="message" hidden></p>
  <p id="outcome" class="outcome"></p>
</main>
<script nonce="${n}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    TimelinePanel.current = undefined;
    clearTimeout(this.reloadTimer);
    this.clearHighlight();
    for (const d of this.disposables) {
      d.dispose();
    }
    this.panel.dispose();
  }
}
