/**
 * The language client's life: find the server, start it, restart it when the interpreter or the
 * server settings change, and keep the status bar in step with it and its progress.
 */

import * as os from "node:os";
import * as vscode from "vscode";
import { PythonExtension } from "@vscode/python-extension";
import {
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
  State,
  TransportKind,
  WorkDoneProgressCancelNotification,
} from "vscode-languageclient/node";
import { nodeProbes } from "./probes";
import { isExplanationUri } from "./runs";
import { environmentPrefix, installCommand, type Resolution, resolveServer } from "./serverResolution";
import { needsRestart, serverSettings } from "./settings";
import { NotificationProgress } from "./progressUi";
import { isBackground, ProgressTracker, type ServerState, statusView } from "./status";

export const CLIENT_ID = "semcoder";

export class ServerManager implements vscode.Disposable {
  client: LanguageClient | undefined;
  readonly output: vscode.LogOutputChannel;
  private readonly item: vscode.StatusBarItem;
  private readonly tracker = new ProgressTracker();
  private readonly notifications = new NotificationProgress((token) => {
    void this.client?.sendNotification(WorkDoneProgressCancelNotification.type, { token });
  });
  private state: ServerState = "stopped";
  private detail: string | undefined;
  private python: PythonExtension | undefined;
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly runsChanged = new vscode.EventEmitter<void>();
  /** Fires when the runs the server shows may have changed (a trace finished, a run was selected). */
  readonly onRunsChanged = this.runsChanged.event;
  private readonly clientChanged = new vscode.EventEmitter<LanguageClient | undefined>();
  readonly onClientChanged = this.clientChanged.event;

  /** The UI side of the server's commands (commands.ts); set before `start()`. */
  commandMiddleware: Middleware["executeCommand"];

  constructor() {
    this.output = vscode.window.createOutputChannel("semcoder", { log: true });
    this.item = vscode.window.createStatusBarItem("semcoder.status", vscode.StatusBarAlignment.Left, 10);
    this.item.name = "semcoder";
    this.item.command = "semcoder.showOutput";
    this.render();
    this.item.show();
    this.disposables.push(
      this.output,
      this.item,
      this.runsChanged,
      this.clientChanged,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration("semcoder")) {
          this.output.info("semcoder settings changed");
        }
        if (needsRestart((section) => event.affectsConfiguration(section))) {
          this.output.info("semcoder.serverPath or semcoder.python changed: restarting the server");
          void this.restart();
        }
      }),
    );
  }

  /** Announce that the shown runs may have changed (after selectRun / traceCall). */
  notifyRunsChanged(): void {
    this.runsChanged.fire();
  }

  private setState(state: ServerState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    if (state !== "ready") {
      this.tracker.clear();
      this.notifications.dispose();
    }
    void vscode.commands.executeCommand("setContext", "semcoder.serverRunning", state === "ready");
    this.render();
  }

  private render(): void {
    const view = statusView(this.state, this.tracker.current(), this.detail);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
  }

  /** Start, stop and restart run one at a time, in the order asked. */
  private serialize(job: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(job, job);
    return this.queue;
  }

  start(): Promise<void> {
    return this.serialize(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.serialize(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.serialize(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  private workspaceFolder(): vscode.WorkspaceFolder | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    return (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
  }

  private async pythonExtension(): Promise<PythonExtension | undefined> {
    if (this.python) {
      return this.python;
    }
    if (!vscode.extensions.getExtension("ms-python.python")) {
      return undefined;
    }
    try {
      this.python = await PythonExtension.api();
    } catch (error) {
      this.output.warn(`the Python extension's API is not available: ${String(error)}`);
      return undefined;
    }
    this.disposables.push(
      this.python.environments.onDidChangeActiveEnvironmentPath(() => {
        this.output.info("the Python extension's active environment changed: restarting the server");
        void this.restart();
      }),
    );
    return this.python;
  }

  /** The interpreter of the Python extension's active environment for the folder, if there is one. */
  private async activeInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<string | undefined> {
    const api = await this.pythonExtension();
    if (!api) {
      return undefined;
    }
    try {
      const active = api.environments.getActiveEnvironmentPath(folder?.uri);
      const resolved = await api.environments.resolveEnvironment(active);
      return resolved?.executable.uri?.fsPath ?? active.path;
    } catch (error) {
      this.output.warn(`cannot resolve the Python extension's environment: ${String(error)}`);
      return undefined;
    }
  }

  private async doStart(): Promise<void> {
    this.setState("starting");
    const folder = this.workspaceFolder();
    const config = vscode.workspace.getConfiguration("semcoder", folder?.uri);
    const interpreter = await this.activeInterpreter(folder);
    const resolution = await resolveServer(
      {
        serverPath: config.get<string | null>("serverPath"),
        python: config.get<string | null>("python"),
        pythonExtension: interpreter,
        workspaceFolder: folder?.uri.fsPath,
        home: os.homedir(),
      },
      nodeProbes,
    );
    for (const attempt of resolution.tried) {
      this.output.info(`server lookup: ${attempt.source}: ${attempt.detail}`);
    }
    if (!resolution.found) {
      this.setState("notFound", "no language server found");
      this.output.error(resolution.message);
      void this.offerInstall(resolution);
      return;
    }
    const server = resolution.server;
    this.output.info(`starting ${server.command} ${[...server.args, "--stdio"].join(" ")} (from ${server.source})`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    const prefix = interpreter ? environmentPrefix(interpreter) : undefined;
    if (prefix && !env.VIRTUAL_ENV) {
      env.VIRTUAL_ENV = prefix; // the server's fallback interpreter for running code (below .venv and settings)
    }
    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      transport: TransportKind.stdio,
      options: { cwd: folder?.uri.fsPath, env },
    };
    const client = new LanguageClient(CLIENT_ID, "semcoder", serverOptions, this.clientOptions());
    this.client = client;
    client.onDidChangeState((event) => {
      if (client !== this.client) {
        return;
      }
      if (event.newState === State.Running) {
        this.setState("ready", `${server.source === "path" ? "semcoder-lsp" : server.command}`);
      } else if (event.newState === State.Starting) {
        this.setState("starting");
      } else if (!this.stopping) {
        this.setState("error", "the language server stopped; see the output");
      }
    });
    try {
      await client.start();
      this.clientChanged.fire(client);
    } catch (error) {
      this.output.error(`the language server did not start: ${String(error)}`);
      this.setState("error", `did not start: ${String(error)}`);
      this.client = undefined;
      void client.dispose().catch(() => undefined);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      await client.stop(5000);
    } catch (error) {
      this.output.warn(`stopping the server: ${String(error)}`);
    } finally {
      this.stopping = false;
      this.setState("stopped");
      this.clientChanged.fire(undefined);
    }
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [{ scheme: "file", language: "python" }],
      diagnosticCollectionName: "semcoder",
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never, // the status bar points at the output instead
      synchronize: { configurationSection: "semcoder" },
      initializationOptions: () => serverSettings(vscode.workspace.getConfiguration("semcoder", this.workspaceFolder()?.uri)),
      markdown: { isTrusted: false, supportHtml: false },
      middleware: {
        executeCommand: (command, args, next) =>
          this.commandMiddleware ? this.commandMiddleware(command, args, next) : next(command, args),
        handleWorkDoneProgress: (token, params, next) => {
          const before = this.tracker.current();
          if (this.tracker.update(token, params)) {
            this.render();
          }
          if (params.kind === "end" && before?.activity === "tracing") {
            this.runsChanged.fire();
          }
          if (params.kind === "begin" && params.cancellable && !isBackground(params.message)) {
            this.notifications.begin(token, params);
            return;
          }
          if (this.notifications.has(token)) {
            this.notifications.update(token, params);
            if (params.kind === "end") {
              next(token, params); // lets the client drop its (never shown) status bar progress
            }
            return;
          }
          next(token, params);
        },
        workspace: {
          // Only what the user set: VS Code's defaults would override [tool.semcoder] (see settings.ts).
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer;
            }
            return params.items.map((item, i) => {
              if (item.section !== "semcoder") {
                return answer[i];
              }
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : this.workspaceFolder()?.uri;
              const section = serverSettings(vscode.workspace.getConfiguration("semcoder", scope));
              this.output.info(`settings for the server: ${JSON.stringify(section)}`);
              return section;
            });
          },
        },
        window: {
          // Explanations are markdown files the server writes outside the workspace: show them rendered.
          showDocument: async (params, token, next) => {
            if (isExplanationUri(params.uri)) {
              try {
                await vscode.commands.executeCommand("markdown.showPreviewToSide", vscode.Uri.parse(params.uri));
                return { success: true };
              } catch (error) {
                this.output.warn(`markdown preview unavailable: ${String(error)}`);
              }
            }
            return next(params, token);
          },
        },
      },
    };
  }

  private async offerInstall(resolution: Extract<Resolution, { found: false }>): Promise<void> {
    const actions: string[] = [];
    if (resolution.installPython) {
      actions.push("Install");
    }
    actions.push("Open Settings", "Show Output");
    const choice = await vscode.window.showErrorMessage(resolution.message, ...actions);
    if (choice === "Install" && resolution.installPython) {
      const terminal = vscode.window.createTerminal({ name: "semcoder: install" });
      terminal.show();
      terminal.sendText(installCommand(resolution.installPython));
      const again = await vscode.window.showInformationMessage(
        "semcoder: when pip has finished in the terminal, restart the semcoder server.",
        "Restart Server",
      );
      if (again) {
        await this.restart();
      }
    } else if (choice === "Open Settings") {
      await vscode.commands.executeCommand(
        "workbench.action.openSettings",
        resolution.badSetting === "serverPath" ? "semcoder.serverPath" : "semcoder.python",
      );
    } else if (choice === "Show Output") {
      this.output.show();
    }
  }

  /** A server command sent directly (no UI middleware): for the timeline and the pickers. */
  async execute<T>(command: string, args: unknown[]): Promise<T> {
    const client = this.client;
    if (!client || !client.isRunning()) {
      throw new Error("semcoder: the language server is not running (see the status bar)");
    }
    return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as T;
  }

  /** A document's uri as the server knows it. */
  protocolUri(uri: vscode.Uri): string {
    return this.client ? this.client.code2ProtocolConverter.asUri(uri) : uri.toString();
  }

  codeUri(uri: string): vscode.Uri {
    return this.client ? this.client.protocol2CodeConverter.asUri(uri) : vscode.Uri.parse(uri);
  }

  dispose(): void {
    void this.doStop();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
