;;; semcoder.el --- Emacs (eglot) in --batch against semcoder-lsp  -*- lexical-binding: t -*-

;; Driven by tests/server/test_real_editors.py through environment variables:
;;   EDITOR_TEST_PYTHON      interpreter that runs `-m semcoder_lsp'
;;   EDITOR_TEST_PROJECT     project root (a private copy of examples/inventory, with a .git folder)
;;   EDITOR_TEST_FILE        file to open, relative to the project
;;   EDITOR_TEST_LINE, EDITOR_TEST_COL   hover position (1-based line, 0-based column)
;;   EDITOR_TEST_TIMEOUT_MS  how long to wait for the first run (hover non-empty)
;;   EDITOR_TEST_OUT         JSON result file
;; Writes {"hover": ..., "rendered": ..., "hints": [...], "error": ...} and exits 0, or 1 on an error.

(require 'cl-lib)
(require 'json)
(require 'eglot)

(defvar semcoder-test-result nil "Alist written as JSON at the end.")

(defun semcoder-test-env (name)
  (or (getenv name) (error "%s is not set" name)))

(defun semcoder-test-put (key value)
  (setq semcoder-test-result (cons (cons key value) (assq-delete-all key semcoder-test-result))))

(defun semcoder-test-write ()
  (let ((coding-system-for-write 'utf-8-unix))
    (write-region (json-encode semcoder-test-result) nil (semcoder-test-env "EDITOR_TEST_OUT") nil 'silent)))

(defun semcoder-test-log (fmt &rest args)
  (let ((line (format "%.3f %s" (float-time) (apply #'format fmt args))))
    (semcoder-test-put 'log (append (cdr (assq 'log semcoder-test-result)) (list line)))
    (princ (concat "semcoder.el: " line "\n") #'external-debugging-output)
    ;; the result so far: a run killed by the test's timeout still shows how far it got
    (semcoder-test-write)))

(defun semcoder-test-hover (server)
  "The hover at point: the server's raw markup, or nil."
  (let ((hover (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams))))
    (and hover (plist-get hover :contents))))

(defun semcoder-test-main ()
  (let* ((project (file-name-as-directory (semcoder-test-env "EDITOR_TEST_PROJECT")))
         (timeout (/ (string-to-number (semcoder-test-env "EDITOR_TEST_TIMEOUT_MS")) 1000.0))
         (eglot-sync-connect t)          ; wait for `initialize' before returning
         (eglot-connect-timeout 30)
         server contents)
    (add-to-list 'eglot-server-programs
                 `(python-mode . (,(semcoder-test-env "EDITOR_TEST_PYTHON") "-m" "semcoder_lsp")))
    (find-file (expand-file-name (semcoder-test-env "EDITOR_TEST_FILE") project))
    (semcoder-test-log "visiting %s in %s" buffer-file-name major-mode)
    (apply #'eglot (eglot--guess-contact))
    (setq server (eglot-current-server))
    (unless server (error "eglot did not connect a server to %s" (buffer-name)))
    (semcoder-test-put 'project_root (expand-file-name (project-root (eglot--project server))))
    (semcoder-test-put 'server_info (eglot--server-info server))
    (semcoder-test-put 'position_encoding
                       (or (plist-get (eglot--capabilities server) :positionEncoding) "(not sent)"))
    (semcoder-test-put 'managed (and eglot--managed-mode t))
    (semcoder-test-log "connected: %S" (eglot--server-info server))
    ;; Point on `upper' in line 38, then poll the hover (as eldoc does while the cursor rests) until
    ;; the first run has finished.
    (goto-char (point-min))
    (forward-line (1- (string-to-number (semcoder-test-env "EDITOR_TEST_LINE"))))
    (forward-char (string-to-number (semcoder-test-env "EDITOR_TEST_COL")))
    (semcoder-test-put 'hover_position (eglot--pos-to-lsp-position))
    (let ((deadline (+ (float-time) timeout)) (polls 0))
      (while (and (not contents) (< (float-time) deadline))
        (setq polls (1+ polls))
        (setq contents (semcoder-test-hover server))
        (unless contents (accept-process-output nil 0.25)))
      (semcoder-test-put 'hover_polls polls)
      (semcoder-test-log "hover after %d polls: %s" polls (if contents "found" "none")))
    (when contents
      (semcoder-test-put 'hover (if (stringp contents) contents (plist-get contents :value)))
      (semcoder-test-put 'hover_kind (if (stringp contents) "string" (plist-get contents :kind)))
      ;; What eglot shows (eldoc / *eglot-help*): gfm-view-mode when markdown-mode is installed.
      (semcoder-test-put 'rendered (substring-no-properties (eglot--hover-info contents)))
      ;; Eglot 1.9 has no inlay hints of its own: ask over its connection, as a newer eglot would.
      (let ((hints (jsonrpc-request
                    server :textDocument/inlayHint
                    (list :textDocument (eglot--TextDocumentIdentifier)
                          :range (list :start (list :line 0 :character 0)
                                       :end (list :line (count-lines (point-min) (point-max))
                                                  :character 0))))))
        (semcoder-test-put
         'hints
         (vconcat (mapcar (lambda (h)
                            (let ((label (plist-get h :label)) (pos (plist-get h :position)))
                              `((line . ,(plist-get pos :line))
                                (character . ,(plist-get pos :character))
                                (label . ,(if (stringp label) label
                                            (mapconcat (lambda (p) (plist-get p :value)) label ""))))))
                          hints)))))))

(let ((failed nil))
  (condition-case err
      (semcoder-test-main)
    (error (setq failed t)
           (semcoder-test-put 'error (error-message-string err))
           (semcoder-test-log "error: %s" (error-message-string err))))
;; Emacs 28's `eglot-shutdown' sends shutdown and exit, then `jsonrpc-shutdown' kills the process
  ;; at once (SIGKILL): do the same steps but give the server time to exit by itself first, and
  ;; record how it ended.
  (condition-case err
      (dolist (servers (hash-table-values eglot--servers-by-project))
        (dolist (server servers)
          (let ((proc (jsonrpc--process server)))
            (setf (eglot--shutdown-requested server) t)
            (jsonrpc-request server :shutdown nil :timeout 10)
            (jsonrpc-notify server :exit nil)
            (with-timeout (10 (semcoder-test-log "the server is still alive 10 s after exit"))
              (while (process-live-p proc) (accept-process-output proc 0.05)))
            (semcoder-test-put 'server_exit
                               (format "%s %s" (process-status proc) (process-exit-status proc)))
            (jsonrpc-shutdown server t))))
    (error (semcoder-test-put 'shutdown_error (error-message-string err))))
  (semcoder-test-put 'servers_left (apply #'+ 0 (mapcar #'length (hash-table-values eglot--servers-by-project))))
  (semcoder-test-log "done")
  (semcoder-test-write)
  (kill-emacs (if failed 1 0)))
