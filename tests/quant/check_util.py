"""Shared by the quantization check scripts: pass/fail lines, subprocess runs, one-line errors."""
import os
import subprocess

failures = []

# Progress lines edgezoo prints on stderr while it runs samples (not errors).
PROGRESS = ("calibrating", "analyzing", "sensitivity scan")


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def error_lines(stderr):
    return [l for l in stderr.splitlines() if not l.startswith(PROGRESS)]


def check_one_line_error(r, expect, name, never_written):
    """A failed run: non-zero exit, one line "edgezoo: ..." naming `expect`, no output file."""
    errors = error_lines(r.stderr)
    msg = "\n".join(errors)
    ok = (r.returncode != 0 and len(errors) == 1 and errors[0].startswith("edgezoo: ") and expect in msg and
          not any(os.path.exists(p) for p in never_written))
    check(ok, f"error case {name}: exit {r.returncode}, '{msg}'")
