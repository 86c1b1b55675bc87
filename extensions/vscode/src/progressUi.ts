/**
 * Work the user asked for (a traced call, an explanation, a fix search) shown as a notification with
 * a Cancel button. The language client shows every work-done progress in the status bar only, where
 * it cannot be cancelled; a fix search can take a minute.
 */

import * as vscode from "vscode";
import type { WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport } from "vscode-languageclient/node";

type Value = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

interface Shown {
  progress: vscode.Progress<{ message?: string; increment?: number }>;
  done: () => void;
  percentage: number;
}

export class NotificationProgress {
  private readonly shown = new Map<string, Shown | "pending">();

  constructor(private readonly cancel: (token: string | number) => void) {}

  has(token: string | number): boolean {
    return this.shown.has(String(token));
  }

  begin(token: string | number, value: WorkDoneProgressBegin): void {
    const key = String(token);
    this.shown.set(key, "pending");
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: value.title || "semcoder", cancellable: value.cancellable ?? false },
      (progress, cancelled) =>
        new Promise<void>((resolve) => {
          if (!this.shown.has(key)) {
            resolve(); // ended before the notification showed
            return;
          }
          this.shown.set(key, { progress, done: resolve, percentage: 0 });
          progress.report({ message: value.message });
          cancelled.onCancellationRequested(() => this.cancel(token));
        }),
    );
  }

  update(token: string | number, value: Value): void {
    const key = String(token);
    const entry = this.shown.get(key);
    if (value.kind === "end") {
      this.shown.delete(key);
      if (entry && entry !== "pending") {
        entry.done();
      }
      return;
    }
    if (!entry || entry === "pending" || value.kind !== "report") {
      return;
    }
    const increment = value.percentage !== undefined ? Math.max(value.percentage - entry.percentage, 0) : undefined;
    if (value.percentage !== undefined) {
      entry.percentage = value.percentage;
    }
    entry.progress.report({ message: value.message, increment });
  }

  dispose(): void {
    for (const entry of this.shown.values()) {
      if (entry !== "pending") {
        entry.done();
      }
    }
    this.shown.clear();
  }
}
