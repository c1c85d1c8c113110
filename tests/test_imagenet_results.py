"""The ImageNet tables: their script, the page that shows them, the workflow.

GitHub Actions has internet and reruns the VGG16 measurements with ImageNet
weights when it builds the site; this machine has none. So the script is
tested here with a weights file the test writes in the layout of Keras'
published ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``, placed in a
Keras cache of its own, with the published md5 patched to the file's: the
script then goes through Keras' own cached-file path, as on the runner.
"""

import hashlib
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "_scripts" / "imagenet_results.py"
WORKFLOW = ROOT / ".github" / "workflows" / "docs.yml"
PAGE = ROOT / "docs" / "user-guide" / "comparison.md"
# Nothing listens on port 9 of localhost: a download fails at once, as in a
# classroom without network, and no test reaches out.
UNREACHABLE = "http://127.0.0.1:9"
MODELS = ("two_layer_cnn", "vgg16_transfer", "vgg16_svm")
# The published file's layers, in order; the pools and the input hold no
# weights but have their (empty) groups, as in Keras' file.
BLOCKS = (2, 2, 3, 3, 3)
LAYERS = ["input_1"] + [
    name
    for block, n_conv in enumerate(BLOCKS, start=1)
    for name in [f"block{block}_conv{k}" for k in range(1, n_conv + 1)]
    + [f"block{block}_pool"]
]


def _load_script():
    spec = importlib.util.spec_from_file_location(SCRIPT.stem, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()


def write_keras_vgg16_notop(path, seed=0):
    """Write VGG16 no-top weights in the layout of Keras' published file.

    That file predates Keras 3's ``.weights.h5``: one HDF5 group per layer,
    named as the layer, with a ``weight_names`` attribute listing its
    datasets (``block1_conv1_W_1:0`` for the kernel, ``block1_conv1_b_1:0``
    for the bias), and the file's ``layer_names`` attribute giving the order
    in which ``keras.applications.VGG16(weights=path)`` assigns them.

    Returns
    -------
    reference : keras.Model
        The random VGG16 base whose weights were written.
    """
    keras = pytest.importorskip("keras")
    h5py = pytest.importorskip("h5py")
    numpy = pytest.importorskip("numpy")
    keras.utils.set_random_seed(seed)
    # Convolution weights do not depend on the picture size: one file serves
    # every input shape, as the published one does.
    reference = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    with h5py.File(path, "w") as file:
        file.attrs["layer_names"] = numpy.array(LAYERS, dtype="S")
        # Read by the loader only to convert Keras 1 files; this is a Keras 2 one.
        file.attrs["backend"] = b"tensorflow"
        file.attrs["keras_version"] = b"2.0.8"
        for name in LAYERS:
            group = file.create_group(name)
            if "conv" not in name:
                group.attrs["weight_names"] = []
                continue
            kernel, bias = reference.get_layer(name).get_weights()
            names = [f"{name}_W_1:0", f"{name}_b_1:0"]
            group.attrs["weight_names"] = numpy.array(names, dtype="S")
            group.create_dataset(names[0], data=kernel)
            group.create_dataset(names[1], data=bias)
    return reference


def _cached_weights(folder):
    """A Keras cache holding the test's file under the published name."""
    path = folder / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    path.parent.mkdir(parents=True)
    reference = write_keras_vgg16_notop(path)
    return path, reference


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """One tiny run of the script with the test's 'ImageNet' weights."""
    pytest.importorskip("keras")
    from animecls import _weights

    home = tmp_path_factory.mktemp("keras_home")
    path, _ = _cached_weights(home)
    out = tmp_path_factory.mktemp("imagenet")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERAS_HOME", str(home))
        # Keras checks a cached file against the published md5: make this
        # file the published one, and any download fail at once.
        patch.setattr(
            _weights, "VGG16_NOTOP_MD5", hashlib.md5(path.read_bytes()).hexdigest()
        )
        patch.setattr(_weights, "VGG16_NOTOP_URL", UNREACHABLE + "/weights.h5")
        script.main(
            [
                "--weights",
                "imagenet",
                "--out-dir",
                str(out),
                "--image-size",
                "32",
                "--epochs",
                "1",
                "--n-splits",
                "2",
                "--models",
                ",".join(MODELS),
            ]
        )
    measurements = json.loads((out / f"{script.STEM}.json").read_text("utf-8"))
    text = (out / f"{script.STEM}.md").read_text("utf-8")
    return measurements, text, path


def _table_rows(text):
    """The body rows of every Markdown table in ``text``, as lists of cells."""
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith(("| model", "| ---"))
    ]


def test_weights_file_has_keras_layout_and_loads(tmp_path):
    h5py = pytest.importorskip("h5py")
    keras = pytest.importorskip("keras")
    numpy = pytest.importorskip("numpy")
    path, reference = _cached_weights(tmp_path)
    with h5py.File(path, "r") as file:
        assert [n.decode() for n in file.attrs["layer_names"]] == LAYERS
        conv = [n for n in LAYERS if "conv" in n]
        assert len(conv) == 13 and conv[0] == "block1_conv1"
        assert conv[-1] == "block5_conv3"
        group = file["block1_conv1"]
        assert [n.decode() for n in group.attrs["weight_names"]] == [
            "block1_conv1_W_1:0",
            "block1_conv1_b_1:0",
        ]
        assert group["block1_conv1_W_1:0"].shape == (3, 3, 3, 64)
        assert file["block5_conv3"]["block5_conv3_b_1:0"].shape == (512,)
    # What the builders call with the file Keras resolved, at another size.
    loaded = keras.applications.VGG16(
        include_top=False, weights=str(path), input_shape=(48, 48, 3)
    )
    for name in ("block1_conv1", "block5_conv3"):
        for got, expected in zip(
            loaded.get_layer(name).get_weights(),
            reference.get_layer(name).get_weights(),
            strict=True,
        ):
            numpy.testing.assert_array_equal(got, expected)


def test_run_writes_both_tables_with_weights_named(measured):
    measurements, text, path = measured
    settings = measurements["settings"]
    assert measurements["measured"] and settings["weights"] == "imagenet"
    assert settings["md5"] == hashlib.md5(path.read_bytes()).hexdigest()
    assert settings["weights_file"] == path.name
    comparison = measurements["comparison"]["table"]
    splits = measurements["splits"]["summary"]
    assert [row["model"] for row in comparison] == list(MODELS)
    assert [row["model"] for row in splits] == list(MODELS)
    assert all(
        run["weights"] == "imagenet"
        for run in comparison + measurements["splits"]["runs"]
        if run["model"].startswith("vgg16")
    )
    assert measurements["comparison"]["split"]["random_state"] == 42
    assert "(random weights)" not in text
    assert "Smaller than the offline tables' settings" in text
    rows = _table_rows(text)
    assert len(rows) == 2 * len(MODELS)
    labels = {
        "two_layer_cnn": "two_layer_cnn",
        "vgg16_transfer": "vgg16_transfer (ImageNet weights)",
        "vgg16_svm": "vgg16_svm (ImageNet weights)",
    }
    # The comparison's rows, then the splits' rows: each cell as the JSON says.
    for cells, row in zip(rows[: len(MODELS)], comparison, strict=True):
        assert cells[0] == labels[row["model"]]
        assert cells[1].startswith(f"{row['test_accuracy']:.3f} (")
        assert cells[-1] == row["weights"]
    for cells, row in zip(rows[len(MODELS) :], splits, strict=True):
        assert cells[0] == labels[row["model"]]
        assert cells[1].startswith(f"{row['mean']:.3f}")
    # The page's file is what the JSON renders: --render reproduces it.
    assert script.render(measurements) == {f"{script.STEM}.md": text}


def test_offline_stops_before_training_with_the_clear_message(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in ("no_proxy", "http_proxy", "https_proxy")
    }
    # An empty cache, and every download sent to a proxy nobody answers.
    env.update(
        KERAS_HOME=str(tmp_path / "empty"),
        HTTPS_PROXY=UNREACHABLE,
        HTTP_PROXY=UNREACHABLE,
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--weights", "imagenet", "--out-dir", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert "Could not get the VGG16 ImageNet weights" in done.stderr
    assert "animecls weights install FILE" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_a_vgg16_row_without_imagenet_weights_is_refused():
    with pytest.raises(ValueError, match="Received: weights='none'"):
        script.with_weights({"model": "vgg16_svm", "weights": "none"})
    row = {"model": "drawn_svm", "weights": "drawn"}
    assert script.with_weights(row) == row


def test_committed_files_are_what_the_committed_json_renders():
    folder = ROOT / "docs" / "_generated" / "imagenet"
    measurements = json.loads((folder / f"{script.STEM}.json").read_text("utf-8"))
    for name, text in script.render(measurements).items():
        assert (folder / name).read_text("utf-8") == text, (
            f"docs/_generated/imagenet/{name} is stale: run python "
            "docs/_scripts/imagenet_results.py --render"
        )
    if not measurements["measured"]:
        assert measurements == script.placeholder()


def test_comparison_guide_includes_the_imagenet_tables():
    page = PAGE.read_text("utf-8")
    include = (script.OUT_DIR / f"{script.STEM}.md").relative_to(ROOT).as_posix()
    assert f'--8<-- "{include}"' in page
    # The offline tables stay where they were, beside it.
    assert '--8<-- "docs/_generated/compare-default.md"' in page


def _steps(job):
    return [step.get("run", "") for step in job["steps"]]


def test_docs_workflow_measures_with_imagenet_and_publishes_the_result():
    yaml = pytest.importorskip("yaml")
    from animecls import _weights

    workflow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    jobs = workflow["jobs"]
    (name,) = [
        name
        for name, job in jobs.items()
        if any("imagenet_results.py" in run for run in _steps(job))
    ]
    job = jobs[name]
    runs = _steps(job)
    (measure,) = [i for i, run in enumerate(runs) if "imagenet_results.py" in run]
    command = runs[measure].split()
    assert command[:2] == ["python", SCRIPT.relative_to(ROOT).as_posix()]
    assert command[command.index("--weights") + 1] == "imagenet"
    # Into the folder the page includes: no --out-dir elsewhere, no --render.
    assert "--out-dir" not in command and "--placeholder" not in command
    # The Keras weights are cached under Keras' own path and file name.
    uses = [step.get("uses", "") for step in job["steps"]]
    (cache,) = [i for i, use in enumerate(uses) if use.startswith("actions/cache")]
    assert cache < measure
    cached = job["steps"][cache]["with"]
    assert cached["path"] == f"~/.keras/models/{_weights.VGG16_NOTOP_FILENAME}"
    assert _weights.VGG16_NOTOP_FILENAME in cached["key"]
    assert "KERAS_HOME" not in job.get("env", {})
    # The same job then builds the site strictly and uploads that site.
    (build,) = [i for i, run in enumerate(runs) if run.startswith("mkdocs build")]
    assert build > measure and "--strict" in runs[build]
    site = runs[build].split("--site-dir")[1].split()[0]
    (upload,) = [
        step
        for step in job["steps"][build:]
        if "upload-pages-artifact" in step.get("uses", "")
    ]
    assert upload["with"]["path"] == site
    assert jobs["deploy"]["needs"] == name
    # Well under the half hour the issue allows.
    assert job["timeout-minutes"] <= 30
