"""The command line prints what animecls says, not TensorFlow's C++ logging.

Each test runs the command in a fresh interpreter, as a user does, with
TF_CPP_MIN_LOG_LEVEL taken out of the environment (conftest sets it for the
test process), so the command's own setting is what is tested.
"""

import os
import re
import subprocess
import sys
import textwrap

import pytest

from animecls import __version__

#: What counts as noise: a line of TensorFlow's or absl's C++ logging (absl's
#: ``I0000 00:00:...`` and TensorFlow's older ``2024-01-01 ...: I tensorflow/``
#: formats), absl's note on logging before it starts, the second line of the
#: CPU-instructions notice, and anything about CUDA, oneDNN or a NodeDef.
NOISE = re.compile(
    r"^[IWEF]\d{4} "
    r"|^\d{4}-\d\d-\d\d .*: [IWEF] tensorflow/"
    r"|absl::InitializeLog|To enable the following instructions"
    r"|cuda|CUDA|cuInit|NodeDef|oneDNN"
)


def _noise(text):
    return [line for line in text.splitlines() if NOISE.search(line)]


def _environment(pythonpath=None, **variables):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(pythonpath), *filter(None, [env.get("PYTHONPATH")])]
        )
    env.update(variables)
    return env


def _animecls(*argv, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "animecls", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env if env is not None else _environment(),
        timeout=600,
    )


def test_the_noise_pattern_knows_tensorflows_lines():
    # Lines TensorFlow 2.21 prints on a machine without a GPU, cut short.
    lines = [
        "WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR",
        "I0000 00:00:1796195226.530026    2564 port.cc:153] oneDNN custom "
        "operations are on.",
        "E0000 00:00:1796195229.134612    2564 node_def_util.cc:682] NodeDef "
        "mentions attribute use_unbounded_threadpool",
        "2024-05-01 10:00:00.123456: W tensorflow/core/util/port.cc:113] x",
        "To enable the following instructions: AVX2 FMA, in other operations",
    ]
    assert _noise("\n".join(lines)) == lines
    assert _noise("[1/1] two_layer_cnn: the report's Model 1\nData: loading") == []


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from animecls.datasets import make_characters

    folder = tmp_path_factory.mktemp("quiet") / "tiny"
    make_characters(6, image_size=(32, 32), directory=folder)
    return folder


def test_compare_trains_without_a_line_of_tensorflow_noise(tiny_folder, tmp_path):
    # The quickest command that imports TensorFlow and trains a network: one
    # epoch of the CNN on 18 pictures of 32x32.
    out = _animecls(
        "compare", tiny_folder, "--image-size", "32", "--epochs", "1",
        "--weights", "none", "--models", "two_layer_cnn",
        "--out", tmp_path / "run", "--no-save-models",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "[1/1] two_layer_cnn" in out.stderr and "| two_layer_cnn |" in out.stdout
    assert _noise(out.stdout + out.stderr) == []


def test_an_error_after_tensorflow_is_imported_still_shows(tiny_folder, tmp_path):
    # A rejected input is one line; an unexpected exception keeps its
    # traceback. Both come after the command has imported TensorFlow.
    out = _animecls("compare", tiny_folder, "--model", "nosuchmodule:build")
    assert out.returncode == 1
    assert out.stderr.startswith("animecls: error: --model expects")
    (tmp_path / "broken.py").write_text('raise RuntimeError("broken on purpose")\n')
    out = _animecls("compare", tiny_folder, "--model", "broken:build", cwd=tmp_path)
    assert out.returncode == 1
    assert "Traceback (most recent call last)" in out.stderr
    assert "RuntimeError: broken on purpose" in out.stderr
    assert _noise(out.stdout + out.stderr) == []


# A stand-in for TensorFlow whose import logs as TensorFlow's does, says one
# thing that is not logging, and fails, as a broken installation would.
_FAKE_TENSORFLOW = """
import os
os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called "
            b"are written to STDERR\\n")
os.write(2, b"I0000 00:00:1796195226.530026    2564 cudart_stub.cc:31] Could "
            b"not find cuda drivers on your machine, GPU will not be used.\\n")
os.write(2, b"I0000 00:00:1796195226.530027    2564 cpu_feature_guard.cc:227] "
            b"This TensorFlow binary is optimized\\nTo enable the following "
            b"instructions: AVX2 FMA, in other operations, rebuild\\n")
os.write(2, b"F0000 00:00:1796195226.530028    2564 loader.cc:1] fatal here\\n")
os.write(2, b"the loader says: libfake.so.9 is missing\\n")
raise ImportError("libfake.so.9: cannot open shared object file")
"""


@pytest.fixture
def broken_tensorflow(tmp_path):
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text(_FAKE_TENSORFLOW)
    return tmp_path


def test_a_failed_tensorflow_import_shows_everything_but_the_noise(
    broken_tensorflow, tiny_folder
):
    out = _animecls(
        "compare", tiny_folder, "--models", "two_layer_cnn",
        env=_environment(broken_tensorflow),
    )  # fmt: skip
    assert out.returncode == 1
    assert "ImportError: libfake.so.9: cannot open shared object file" in out.stderr
    assert "Traceback (most recent call last)" in out.stderr
    # A fatal log line is never dropped, nor what is not logging at all.
    assert "loader.cc:1] fatal here" in out.stderr
    assert "the loader says: libfake.so.9 is missing" in out.stderr
    assert "cuda drivers" not in out.stderr and "AVX2" not in out.stderr
    assert "absl::InitializeLog" not in out.stderr


def test_the_users_log_level_wins(broken_tensorflow, tiny_folder):
    out = _animecls(
        "compare", tiny_folder, "--models", "two_layer_cnn",
        env=_environment(broken_tensorflow, TF_CPP_MIN_LOG_LEVEL="0"),
    )  # fmt: skip
    assert out.returncode == 1
    assert "Could not find cuda drivers" in out.stderr
    assert "To enable the following instructions: AVX2" in out.stderr


def test_commands_that_need_no_tensorflow_do_not_import_it(tiny_folder, tmp_path):
    # The command leaves TensorFlow's import to the commands that need it;
    # these would otherwise pay seconds for it, unfiltered.
    code = textwrap.dedent(
        f"""
        import sys
        from animecls.cli import main
        assert main(["data", "make", {str(tmp_path / "new")!r},
                     "--n-per-class", "2", "--image-size", "32"]) == 0
        assert main(["data", "info", {str(tiny_folder)!r}]) == 0
        assert main(["leakage", {str(tiny_folder)!r}]) == 0
        assert "tensorflow" not in sys.modules, "TensorFlow was imported"
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert _noise(out.stdout + out.stderr) == []


def test_python_dash_m_animecls_prints_its_help():
    out = _animecls("--help")
    assert out.returncode == 0
    assert out.stdout.startswith("usage: animecls")
    assert "compare" in out.stdout and out.stderr == ""
    out = _animecls("--version")
    assert (out.returncode, out.stdout, out.stderr) == (
        0,
        f"animecls {__version__}\n",
        "",
    )
    out = _animecls("no-such-command")
    assert out.returncode == 2 and "invalid choice: 'no-such-command'" in out.stderr
