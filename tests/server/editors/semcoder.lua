-- Headless Neovim against semcoder-lsp: open a file, wait for inlay hints, hover, write JSON, quit.
-- Driven by tests/server/test_real_editors.py through environment variables:
--   EDITOR_TEST_PYTHON   interpreter that runs `-m semcoder_lsp`
--   EDITOR_TEST_PROJECT  project root (a private copy of examples/inventory)
--   EDITOR_TEST_FILE     file to open, relative to the project
--   EDITOR_TEST_LINE, EDITOR_TEST_COL   hover position (1-based line, 0-based byte column, as nvim_win_set_cursor)
--   EDITOR_TEST_WAIT_LINE  0-based line whose inlay hint means the first run is shown
--   EDITOR_TEST_TIMEOUT_MS how long to wait for that hint
--   EDITOR_TEST_OUT      JSON result file
local env = function(name)
  return (assert(os.getenv(name), name .. ' is not set'))
end

-- No provider probing (setting filetype=python would start a search for python3 with pynvim).
vim.g.loaded_python3_provider = 0

local result = { log = {} }

local function write_result()
  local f = assert(io.open(env('EDITOR_TEST_OUT'), 'w'))
  f:write(vim.json.encode(result))
  f:close()
end

-- Each step is logged to stderr and the result so far written out: a run killed by the test's
-- timeout still shows how far it got.
local function log(fmt, ...)
  local line = string.format('%.3f ', vim.uv.hrtime() / 1e9) .. string.format(fmt, ...)
  table.insert(result.log, line)
  io.stderr:write('semcoder.lua: ' .. line .. '\n')
  io.stderr:flush()
  write_result()
end

local function hint_lines(hints)
  local lines = {}
  for _, h in ipairs(hints or {}) do
    local label = h.label
    if type(label) == 'table' then -- InlayHintLabelPart[]
      local parts = {}
      for _, part in ipairs(label) do
        table.insert(parts, part.value)
      end
      label = table.concat(parts)
    end
    table.insert(lines, {
      line = h.position.line,
      character = h.position.character,
      label = label,
      paddingLeft = h.paddingLeft,
    })
  end
  return lines
end

local function main()
  vim.lsp.log.set_level('debug') -- $XDG_STATE_HOME/nvim/lsp.log: every message, shown when a test fails
  local project = env('EDITOR_TEST_PROJECT')
  local timeout = tonumber(env('EDITOR_TEST_TIMEOUT_MS'))
  local wait_line = tonumber(env('EDITOR_TEST_WAIT_LINE'))

  vim.cmd.edit(vim.fn.fnameescape(project .. '/' .. env('EDITOR_TEST_FILE')))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'python' -- -u NONE: no filetype detection; didOpen's languageId comes from it

  local client_id = assert(vim.lsp.start({
    name = 'semcoder',
    cmd = { env('EDITOR_TEST_PYTHON'), '-m', 'semcoder_lsp' },
    root_dir = project,
    on_exit = function(code, signal)
      result.server_exit = { code = code, signal = signal }
    end,
  }, { bufnr = bufnr }))
  local ok = vim.wait(30000, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized and vim.lsp.buf_is_attached(bufnr, client_id)
  end, 50)
  local client = assert(vim.lsp.get_client_by_id(client_id), 'the client died during initialize')
  assert(ok, 'the client was not initialized and attached within 30 s')
  result.offset_encoding = client.offset_encoding
  result.server_info = client.server_info
  result.inlay_hint_provider = client.server_capabilities.inlayHintProvider ~= nil
  result.hover_provider = client.server_capabilities.hoverProvider ~= nil
  log('attached, encoding %s', client.offset_encoding)

  -- What the user sees: Neovim's own inlay hint machinery (it re-requests on workspace/inlayHint/refresh).
  vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
  local uri = vim.uri_from_bufnr(bufnr)
  local params = {
    textDocument = { uri = uri },
    range = {
      start = { line = 0, character = 0 },
      ['end'] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 },
    },
  }
  local requests = 0
  local function has_wait_line(hints)
    for _, h in ipairs(hints) do
      if h.line == wait_line then
        return true
      end
    end
    return false
  end
  local function machinery()
    local hints = {}
    for _, item in ipairs(vim.lsp.inlay_hint.get({ bufnr = bufnr })) do
      if item.client_id == client_id then
        table.insert(hints, item.inlay_hint)
      end
    end
    return hint_lines(hints)
  end
  -- Poll like an editor does on scroll: an explicit request every 250 ms, until the run's hints appear.
  local direct = {}
  local found = false
  local deadline = vim.uv.now() + timeout
  while not found and vim.uv.now() < deadline do
    requests = requests + 1
    local resp, err = client:request_sync('textDocument/inlayHint', params, 5000, bufnr)
    if err then
      log('inlayHint request error: %s', tostring(err))
    elseif resp and resp.err then
      log('inlayHint error response: %s', vim.inspect(resp.err))
    elseif resp then
      direct = hint_lines(resp.result)
    end
    found = has_wait_line(direct)
    if not found then
      vim.wait(250) -- keeps processing the server's messages meanwhile
    end
  end
  result.inlay_hint_requests = requests
  result.hints = direct
  log('direct hints found=%s after %d requests', tostring(found), requests)
  if not found then
    return
  end

  -- The hints Neovim itself requested after the server's workspace/inlayHint/refresh. (What it
  -- draws cannot be read back headless: without a UI there is no redraw, so no extmarks.)
  result.machinery_found = vim.wait(10000, function()
    return has_wait_line(machinery())
  end, 50)
  result.machinery_hints = machinery()

  -- Hover at the cursor, as K does: the position comes from the cursor in the negotiated encoding.
  local win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_cursor(win, { tonumber(env('EDITOR_TEST_LINE')), tonumber(env('EDITOR_TEST_COL')) })
  local hover_params = vim.lsp.util.make_position_params(win, client.offset_encoding)
  result.hover_position = hover_params.position
  local resp, err = client:request_sync('textDocument/hover', hover_params, 10000, bufnr)
  assert(not err, 'hover: ' .. tostring(err))
  assert(resp and not resp.err, 'hover error: ' .. vim.inspect(resp and resp.err))
  result.hover = resp.result
  log('hover done')
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  result.error = tostring(err)
end
-- Stop the server the way Neovim does on exit (shutdown, exit), and wait for its process to go.
for _, c in ipairs(vim.lsp.get_clients()) do
  c:stop()
end
result.stopped = vim.wait(10000, function()
  return #vim.lsp.get_clients() == 0 and result.server_exit ~= nil
end, 50)
log('stopped=%s', tostring(result.stopped))
write_result()
vim.cmd(ok and 'qall!' or 'cquit! 1')
