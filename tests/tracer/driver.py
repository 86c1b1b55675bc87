"""Runs one test program under the tracer in whatever interpreter runs this file; prints the trace as JSON.

Usage: python driver.py AGENT_DIR PROGRAM.py [core]. AGENT_DIR holds the tracer as ``semcoder_tracer``.
"""

import importlib.util
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
from semcoder_tracer import TraceSession  # noqa: E402

path = os.path.realpath(sys.argv[2])
core = sys.argv[3] if len(sys.argv) > 3 else "auto"
spec = importlib.util.spec_from_file_location("program", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
session = TraceSession([path], max_states=4, max_calls=3, core=core)
session.start()
try:
    value = module.main()
finally:
    session.stop()
print(json.dumps({"return": repr(value), "lines": session.lines(), "calls": session.calls()}, sort_keys=True))
