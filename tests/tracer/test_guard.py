"""Where a pytest run's limits may raise: the frame the alarm lands in, judged by real frames."""

from __future__ import annotations

import string
import sys
import textwrap

from semcoder_core.tracer.agent import Guard


def _frames_from(folder):
    """The innermost frame of a call into the standard library (string.Template calling a mapping),
    made from a module in ``folder``: [the stdlib frame, the module's frame]."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "caller_mod.py").write_text(
        textwrap.dedent(
            """
            import string
            import sys


            class Mapping(dict):
                def __getitem__(self, key):
                    FRAMES.append(sys._getframe(1))
                    return "x"


            FRAMES = []


            def run():
                string.Template("$a").substitute(Mapping())
                return FRAMES[0]
            """
        )
    )
    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop("caller_mod", None)
        import caller_mod

        return caller_mod.run()
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("caller_mod", None)


def test_a_standard_library_frame_belongs_to_whoever_called_it(tmp_path):
    guard = Guard({"project": str(tmp_path), "timeout": 5}, None)
    guard.gated, guard.in_test = True, "call"
    guard.machinery = (str(tmp_path / "pytest_like") + "/",)

    from_machinery = _frames_from(tmp_path / "pytest_like")
    assert from_machinery.f_code.co_filename == string.__file__
    assert guard._in_user_code(from_machinery) is False

    from_test = _frames_from(tmp_path / "tests")
    assert from_test.f_code.co_filename == string.__file__
    assert guard._in_user_code(from_test) is True

    guard.in_test = None  # between the phases: never the test's
    assert guard._in_user_code(from_test) is False


def test_the_memory_check_stops_once_the_programs_memory_error_is_caught(tmp_path):
    # A second MemoryError raised while the first is reported would end the process with no result;
    # a process that ends with the timer armed dies of SIGPROF once its handlers are reset at shutdown.
    import signal

    guard = Guard({"project": str(tmp_path), "timeout": 5}, None)
    previous = signal.signal(signal.SIGPROF, lambda signum, frame: None)
    try:
        guard.watch_memory(True)
        assert signal.getitimer(signal.ITIMER_PROF)[1] > 0
        guard.release_memory()
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
        guard.watch_memory(True)
        guard.disarm()
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
