"""Each example's "What to expect" quotes the committed output of its run.

Every example script ends with a ``# ## What to expect`` cell, and some
cells before it say what to ``Expect``. Their numbers are not typed by hand:
they are copied from ``docs/_generated/example-<script>.txt``, what the script
printed when ``docs/_scripts/example_figures.py`` ran it with its own
defaults (the page under docs/examples/ shows that output). These tests read
the committed files only, and fail when a number in the prose is not in the
output, so a rerun that changes a result also changes the prose.
"""

import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GENERATED = ROOT / "docs" / "_generated"
SCRIPTS = sorted(path.stem for path in EXAMPLES.glob("plot_*.py"))
REGENERATE = (
    "run `python docs/_scripts/example_figures.py {script}` and copy the new "
    "numbers into its What to expect (then `python docs/_scripts/notebooks.py`)"
)

# A number: digits, optionally in groups of three (4,204,483), optionally
# with decimals (0.732). Not part of a longer number on either side, but
# letters may touch it (64x64, 41ms).
NUMBER = re.compile(r"(?<![\d.,])\d+(?:,\d{3})*(?:\.\d+)?(?![\d]|[.,]\d)")
# "41 of 56" in the prose must be "41 of 56" or "41/56" in the output.
COUNT = re.compile(r"\b(\d+) of (\d+)\b")
# A running time, checked against the run's wall time instead (see below).
DURATION = re.compile(r"(?<![\d.,])(\d+) (minutes?|seconds?|s)\b")
# Keras' per-epoch log lines: timings and four-decimal metrics that no prose
# quotes; their numbers do not count as the output's.
EPOCH_LOG = re.compile(r"^(Epoch \d+/\d+|\d+/\d+ - .*)$", re.MULTILINE)
HEADER = re.compile(
    r"^\$ (?P<settings>(?:ANIMECLS_\w+=\S* )*)python examples/(?P<script>\w+)\.py"
    r"  # (?P<seconds>\d+) s wall time on \d+ CPU cores$"
)

# Numbers the prose may state that are not the run's: each with its reason.
# Keep this short; a result belongs in the output.
ALLOWED = {
    "plot_explore_dataset": {},
    "plot_two_layer_cnn": {
        "250": "the script's default picture size, a setting",
        "0.964": "the report's accuracy, 54 of 56 real pictures, a citation",
        "0.88": "the Wilson interval of the report's 54 of 56, a citation",
        "0.99": "the Wilson interval of the report's 54 of 56, a citation",
    },
    "plot_vgg16_transfer": {"256": "the script's default picture size, a setting"},
    "plot_embedding_svm": {"250": "the script's default picture size, a setting"},
    "plot_compare_models": {
        "250": "the script's default picture size, a setting",
        "0.05": "the conventional significance level McNemar's p is read at",
    },
    "plot_overfitting": {
        "250": "the report's picture size, where the docs' page measures",
    },
}


def expectations(source):
    """Return the prose of ``source`` that says what a run shows.

    That is the ``# ## What to expect`` cell's comment, and every sentence
    of the other cells' comments that starts with "Expect".
    """
    cells = re.split(r"^# %%$", source, flags=re.MULTILINE)
    comments = []  # (heading, text) of each cell's opening comment
    for cell in cells:
        heading, lines = "", []
        for line in cell.strip().splitlines():
            if not line.startswith("#"):
                break
            line = line[2:] if line.startswith("# ") else line[1:]
            if line.startswith("## ") and not lines:
                heading = line[3:]
            else:
                lines.append(line)
        comments.append((heading, " ".join(lines)))
    closing = [text for heading, text in comments if heading == "What to expect"]
    sentences = [
        sentence
        for heading, text in comments
        if heading != "What to expect"
        for sentence in re.split(r"(?<=[.!?])\s+", text)
        if sentence.startswith("Expect")
    ]
    return closing, sentences


def numbers(text):
    """Return the numbers of ``text`` (as written), its counts and durations."""
    durations = [(int(n), unit) for n, unit in DURATION.findall(text)]
    counts = [f"{n} of {m}" for n, m in COUNT.findall(text)]
    # A count's two numbers and a duration's are checked as such.
    text = DURATION.sub(" ", COUNT.sub(" ", text))
    return NUMBER.findall(text), counts, durations


def problems(script, prose, output):
    """Return what in ``prose`` the ``output`` of ``script``'s run does not show."""
    header, _, body = output.partition("\n")
    seconds = int(HEADER.match(header)["seconds"])
    printed = set(NUMBER.findall(EPOCH_LOG.sub(" ", body)))
    allowed = ALLOWED[script]
    found, counts, durations = numbers(prose)
    missing = [n for n in found if n not in printed and n not in allowed]
    missing += [
        count
        for count in counts
        if count not in body
        and count.replace(" of ", "/") not in body
        and count not in allowed
    ]
    # A running time is the machine's, not the script's: it must agree with
    # the run's wall time within a factor of two.
    for n, unit in durations:
        said = n * 60 if unit.startswith("minute") else n
        if not seconds / 2 <= said <= 2 * seconds:
            missing.append(f"{n} {unit} (the run took {seconds} s)")
    return missing


def _read(script):
    source = (EXAMPLES / f"{script}.py").read_text(encoding="utf-8")
    output = (GENERATED / f"example-{script}.txt").read_text(encoding="utf-8")
    return source, output


def test_every_example_has_an_output_and_an_allow_list():
    assert SCRIPTS
    outputs = sorted(p.name for p in GENERATED.glob("example-*.txt"))
    assert outputs == [f"example-{script}.txt" for script in SCRIPTS]
    assert sorted(ALLOWED) == SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_output_is_the_script_run_with_its_own_defaults(script):
    source, output = _read(script)
    header = HEADER.match(output.partition("\n")[0])
    assert header, f"unexpected first line: {output.partition(chr(10))[0]!r}"
    assert header["script"] == script
    # Only the documented offline setting, and only where the script reads it.
    offline = "ANIMECLS_WEIGHTS=none " if "ANIMECLS_WEIGHTS" in source else ""
    assert header["settings"] == offline, REGENERATE.format(script=script)
    (closing,), _ = expectations(source)
    # The prose says the setting it describes.
    assert "defaults" in closing
    assert ("ANIMECLS_WEIGHTS=none" in closing) == bool(offline)


@pytest.mark.parametrize("script", SCRIPTS)
def test_what_to_expect_quotes_the_output(script):
    source, output = _read(script)
    closing, sentences = expectations(source)
    assert len(closing) == 1, f"{script} has {len(closing)} What to expect cells"
    missing = problems(script, " ".join(closing + sentences), output)
    assert not missing, (
        f"{script}'s What to expect says {missing}, which its committed output "
        f"docs/_generated/example-{script}.txt does not show: "
        + REGENERATE.format(script=script)
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_allowed_numbers_are_still_said(script):
    # An allowance nobody uses any more would hide a later drift.
    source, _ = _read(script)
    closing, sentences = expectations(source)
    found, counts, _ = numbers(" ".join(closing + sentences))
    unused = set(ALLOWED[script]) - set(found) - set(counts)
    assert not unused, f"remove {sorted(unused)} from ALLOWED[{script!r}]"


SAMPLE = """\
# %%
# ## Train
# Expect 4,204,483 parameters. Nothing else here counts: 0.111.
model = build()

# %%
# ## What to expect
# With the defaults (64x64, about 2 minutes): test accuracy 0.732 (41 of
# 56, 95% CI 0.60-0.83), a gap of 0.239. The report's 0.964.
print("done")
"""
OUTPUT = """\
$ python examples/plot_sample.py  # 130 s wall time on 2 CPU cores
4,204,483 parameters at 64x64
Epoch 1/8
4/4 - 2s - 499ms/step - accuracy: 0.3689 - loss: 1.0875
Test accuracy 0.732 (41/56, 95% CI 0.60-0.83), gap 0.239
"""


def test_the_extraction_finds_what_it_looks_for():
    closing, sentences = expectations(SAMPLE)
    assert closing == [
        "With the defaults (64x64, about 2 minutes): test "
        "accuracy 0.732 (41 of 56, 95% CI 0.60-0.83), a gap of 0.239. The "
        "report's 0.964."
    ]
    assert sentences == ["Expect 4,204,483 parameters."]
    found, counts, durations = numbers(" ".join(closing))
    assert found == ["64", "64", "0.732", "95", "0.60", "0.83", "0.239", "0.964"]
    assert counts == ["41 of 56"]
    assert durations == [(2, "minutes")]
    # A decimal's digits are not a duration, nor a number of their own.
    assert numbers("in 5.9 s, 0.75. Then 1,539") == (["5.9", "0.75", "1,539"], [], [])


def test_a_drifted_number_is_reported(monkeypatch):
    monkeypatch.setitem(ALLOWED, "plot_sample", {"0.964": "a citation"})
    prose = " ".join(sum(expectations(SAMPLE), []))
    assert problems("plot_sample", prose, OUTPUT) == []
    # Each kind of drift fails: a decimal, a count, a grouped integer, a time.
    for old, new in [
        ("0.239", "0.3"),
        ("0.60-", "0.61-"),
        ("41 of", "42 of"),
        ("4,204,483", "4,204,484"),
        ("about 2 minutes", "about 9 minutes"),
    ]:
        drifted = prose.replace(old, new)
        assert drifted != prose
        assert problems("plot_sample", drifted, OUTPUT), (old, new)
    # A number seen only in Keras' epoch log does not count as the output's.
    assert problems("plot_sample", prose + " 499ms", OUTPUT) == ["499"]
    # Without its allowance, the report's citation is reported.
    monkeypatch.setitem(ALLOWED, "plot_sample", {})
    assert problems("plot_sample", prose, OUTPUT) == ["0.964"]


def test_the_pages_describe_the_run_they_show():
    # The pages once showed a run at other settings than the scripts' own.
    for page in sorted((ROOT / "docs" / "examples").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"ANIMECLS_(IMAGE_SIZE|EPOCHS)=\d", text), page.name
        assert "fast run" not in text, page.name


def _example_figures():
    path = ROOT / "docs" / "_scripts" / "example_figures.py"
    spec = importlib.util.spec_from_file_location("example_figures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runner_adds_only_the_offline_setting():
    runner = _example_figures()
    vgg16 = {"plot_compare_models", "plot_embedding_svm", "plot_vgg16_transfer"}
    for script in SCRIPTS:
        expected = {"ANIMECLS_WEIGHTS": "none"} if script in vgg16 else {}
        assert runner.settings(script) == expected, script
    # The caller's settings are removed, whatever they are.
    assert {"ANIMECLS_IMAGE_SIZE", "ANIMECLS_EPOCHS"} <= set(runner.REMOVED)
    bar = "\u2501" * 20
    printed = (
        f"\x1b[1m1/5\x1b[0m {bar} 4s 1s/step\n5/5 {bar} 0s 7s/step\n"
        f"Folder: {runner.tempfile.gettempdir()}/tmpab_12/Anime Girls\n"
    )
    assert runner.clean(printed) == (
        f"5/5 {bar} 0s 7s/step\nFolder: <temporary folder>/Anime Girls\n"
    )
