from semcoder_core.sandbox import Sandbox
from semcoder_core.tracer.render import render_concrete_trace

CODE = """\
def f(nums):
    out = []
    for n in nums:
        out.append(n * 2)
    return out
"""


def test_concrete_trace_comments(tmp_path):
    path = tmp_path / "f.py"
    path.write_text(CODE)
    result = Sandbox(tmp_path).trace_call(path, "f([1, 2, 3, 4])")
    lines = result["lines"][str(path)]
    call = result["calls"][0]["records"][0]
    text = render_concrete_trace(CODE, lines, inputs=call["args"], output=result["return_repr"], output_line=5)
    assert text.splitlines() == [
        "def f(nums):",
        '    out = [] # [INPUT] {"nums": [1, 2, 3, 4]} [/INPUT] [STATE-1] {"out": []} [/STATE-1]',
        '    for n in nums: # [STATE-2] {"n": 1} [/STATE-2] [STATE-4] {"n": 2} [/STATE-4] ... '
        '[STATE-8] {"n": 4} [/STATE-8]',
        '        out.append(n * 2) # [STATE-3] {"out": [2]} [/STATE-3] [STATE-5] {"out": [2, 4]} [/STATE-5] ... '
        '[STATE-9] {"out": [2, 4, 6, 8]} [/STATE-9]',
        "    return out # [OUTPUT] [2, 4, 6, 8] [/OUTPUT]",
    ]


def test_exception_comment(tmp_path):
    code = "def f(d):\n    key = 'k'\n    return d[key]\n"
    path = tmp_path / "g.py"
    path.write_text(code)
    result = Sandbox(tmp_path).trace_call(path, "f({})")
    assert result["status"] == "exception"
    text = render_concrete_trace(code, result["lines"][str(path)], exception=result["exception"])
    assert text.splitlines()[2] == "    return d[key] # [EXCEPTION] KeyError: 'k' [/EXCEPTION]"
