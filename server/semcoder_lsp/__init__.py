"""semcoder-lsp: observed variable states, failing tests and fixes in any editor that speaks LSP."""

__version__ = "0.1.0"
