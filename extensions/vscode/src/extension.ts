/**
 * semcoder for VS Code: starts the semcoder language server (`semcoder-lsp`) for Python files and
 * gives its features a native face — status bar, commands with prompts and pickers, rendered
 * explanations, and the execution timeline.
 */

import * as vscode from "vscode";
import { Commands } from "./commands";
import { ServerManager } from "./server";
import { TimelinePanel } from "./timelinePanel";

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const server = new ServerManager();
  manager = server;
  server.commandMiddleware = new Commands(server).middleware;
  context.subscriptions.push(
    server,
    vscode.commands.registerCommand("semcoder.restart", () => server.restart()),
    vscode.commands.registerCommand("semcoder.showOutput", () => server.output.show()),
    vscode.commands.registerCommand("semcoder.showTimeline", (uri?: vscode.Uri) =>
      TimelinePanel.show(context, server, uri instanceof vscode.Uri ? uri : undefined),
    ),
    { dispose: () => TimelinePanel.current?.dispose() },
  );
  await server.start();
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
}
