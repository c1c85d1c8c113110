import subprocess
import sys

import animecls


def test_version_is_a_string():
    assert isinstance(animecls.__version__, str) and animecls.__version__


def test_import_does_not_pull_tensorflow():
    # A fresh interpreter: this test process may already have imported TF.
    code = (
        "import sys, animecls, animecls.datasets, animecls.cli, animecls.leakage, "
        "animecls.checks; "
        "bad = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules); "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
