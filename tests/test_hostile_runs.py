"""Races, interrupts and hostile output paths: nothing a second run does gets past.

Every test builds its situation itself in ``tmp_path`` (a second run holding
the same folder, a folder appearing mid-run, a path that cannot be written, a
claim failing part-way, a file system without hard links, ``.`` or an empty
folder as the destination, a claimed folder deleted mid-run, a Ctrl-C
half-way through a data set, a split that leaves a class out) and
checks the message and that nothing was written, deleted or lost. The races
are real: two threads or two processes started together, synchronised on a
barrier, or a second run started while the first one is training.
"""

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from animecls import comparison, experiments
from animecls._files import INCOMPLETE_MARKER, RunFolder, atomic_write, check_apart
from animecls.cli import MAX_IMAGE_SIDE, main
from animecls.comparison import compare_models
from animecls.datasets import make_characters, save_image_folder, split_indices


@pytest.fixture(scope="module")
def tiny():
    return make_characters(8, image_size=(32, 32))


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, tiny):
    folder = tmp_path_factory.mktemp("tiny") / "characters"
    save_image_folder(tiny, folder)
    return folder


def _snapshot(root):
    """Every path under ``root`` with its bytes (files) or None (folders)."""
    found = {}
    for folder, folders, files in os.walk(root):
        for name in folders:
            found[os.path.relpath(os.path.join(folder, name), root)] = None
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


def _count_training(monkeypatch, module, calls=None):
    """Count the models ``module`` trains (into ``calls``), training them as usual."""
    calls = [] if calls is None else calls
    real = module.fit_and_score

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "fit_and_score", counted)
    return calls


# ----------------------------------------------------- one run per folder


def test_two_threads_racing_for_one_folder_one_wins(tmp_path):
    for round_ in range(20):
        out = tmp_path / f"run{round_}"
        barrier = threading.Barrier(2)
        outcomes = {}

        def claim(who, out=out, barrier=barrier, outcomes=outcomes):
            folder = RunFolder(out)
            barrier.wait()
            try:
                folder.claim()
                outcomes[who] = folder
            except FileExistsError as error:
                outcomes[who] = error

        threads = [threading.Thread(target=claim, args=(w,)) for w in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [o for o in outcomes.values() if isinstance(o, RunFolder)]
        losers = [o for o in outcomes.values() if isinstance(o, FileExistsError)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert "Another animecls run" in str(losers[0])
        assert str(losers[0]).endswith(f"Received: out_dir={str(out)!r}")
        (winner,) = winners
        # The loser touched nothing: the winner's marker and token are there.
        marker = (winner.path / INCOMPLETE_MARKER).read_text(encoding="utf-8")
        assert f"token: {winner.token}" in marker
        winner.start()
        (winner.path / "results.csv").write_text("mine", encoding="utf-8")
        assert winner.finish() == out
        assert sorted(p.name for p in out.iterdir()) == ["results.csv"]
    assert not list(tmp_path.glob("*.incomplete"))
    assert not list(tmp_path.glob(".*"))


_CLAIM = textwrap.dedent(
    """
    import os, sys, time
    from animecls._files import RunFolder
    out, go = sys.argv[1], sys.argv[2]
    folder = RunFolder(out)
    while not os.path.exists(go):
        time.sleep(0.001)
    try:
        folder.claim()
    except FileExistsError as error:
        print("lost", error, flush=True)
        sys.exit(0)
    print("won", flush=True)
    sys.stdin.read()  # hold the claim until the test closes stdin
    """
)


def test_two_processes_racing_for_one_folder_one_wins(tmp_path):
    out, go = tmp_path / "run", tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIM, str(out), str(go)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(0.5)  # both are waiting at the line
    go.touch()
    lines = [p.stdout.readline() for p in processes]
    for process in processes:
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()
    assert sorted(line.split()[0] for line in lines) == ["lost", "won"]
    lost = next(line for line in lines if line.startswith("lost"))
    assert "Another animecls run (pid" in lost
    assert (out.parent / "run.incomplete" / INCOMPLETE_MARKER).exists()


def test_a_live_run_is_refused_and_a_killed_one_replaced(tmp_path):
    out, go = tmp_path / "run", tmp_path / "go"
    go.touch()
    holder = subprocess.Popen(
        [sys.executable, "-c", _CLAIM, str(out), str(go)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().startswith("won")
    partial = tmp_path / "run.incomplete"
    (partial / "half.csv").write_text("half", encoding="utf-8")
    with pytest.raises(FileExistsError, match=rf"pid {holder.pid} "):
        RunFolder(out).claim()
    assert (partial / "half.csv").read_text(encoding="utf-8") == "half"
    holder.kill()  # as kill -9 or a power cut: no clean-up ran
    holder.wait(timeout=30)
    holder.stdin.close()
    holder.stdout.close()
    folder = RunFolder(out)
    folder.claim()  # what the killed run left is replaced
    assert not (partial / "half.csv").exists()
    assert f"token: {folder.token}" in (partial / INCOMPLETE_MARKER).read_text()
    folder.abandon()
    assert not partial.exists() and not list(tmp_path.glob(".*"))


def test_a_second_compare_with_the_same_out_fails_before_training(
    tiny, tmp_path, monkeypatch
):
    out = tmp_path / "run"
    real = comparison.fit_and_score
    seen = {"a": 0, "b": None}

    def first_run_training(*args, **kwargs):
        seen["a"] += 1
        if seen["a"] == 1:
            # While run A trains, run B starts with the same --out.
            b_calls = []
            with monkeypatch.context() as patch:
                patch.setattr(
                    comparison, "fit_and_score", lambda *a, **k: b_calls.append(1)
                )
                try:
                    compare_models(
                        tiny,
                        models=["pixels_svm"],
                        out_dir=out,
                        random_state=7,
                        verbose=0,
                    )
                except FileExistsError as error:
                    seen["b"] = (str(error), len(b_calls))
        return real(*args, **kwargs)

    monkeypatch.setattr(comparison, "fit_and_score", first_run_training)
    result = compare_models(
        tiny, models=["pixels_svm", "color_histogram_svm"], out_dir=out, verbose=0
    )
    message, b_trained = seen["b"]
    assert "Another animecls run" in message and b_trained == 0
    assert message.endswith(f"Received: out_dir={str(out)!r}")
    # The winner's folder is whole and all its files come from its own run.
    assert result.run_dir == str(out)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["random_state"] == 42
    assert set(run["models"]) == {"pixels_svm", "color_histogram_svm"}
    rows = (out / "results.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3 and all(",42," in row for row in rows[1:])
    assert (out / "figures" / "confusion_color_histogram_svm.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_compare_started_in_the_same_second_without_out(
    tiny_folder, tmp_path, monkeypatch, capsys
):
    from animecls import cli

    monkeypatch.chdir(tmp_path)
    # Both runs read the same second off the clock.
    monkeypatch.setattr(cli.time, "strftime", lambda form: "compare-20250101-120000")
    argv = ["compare", str(tiny_folder), "--quick", "--models", "pixels_svm"]
    real = comparison.fit_and_score
    second = {}

    def first_run_training(*args, **kwargs):
        if not second:
            second["status"] = main([*argv, "--no-save-models"])
            second["err"] = capsys.readouterr().err
        return real(*args, **kwargs)

    monkeypatch.setattr(comparison, "fit_and_score", first_run_training)
    assert main(argv) == 0
    assert second["status"] == 1
    assert "animecls: error: Another animecls run (pid" in second["err"]
    run = tmp_path / "runs" / "compare-20250101-120000"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [run.name]
    # The winner saved its models: the loser's --no-save-models changed nothing.
    assert (run / "models" / "pixels_svm.skops").exists()


def test_a_second_experiment_with_the_same_out_fails_before_training(
    tiny_folder, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "splits"
    argv = ["splits", str(tiny_folder), "--quick", "--splits", "1"]
    argv += ["--models", "pixels_svm", "--out", str(out)]
    real = experiments.fit_and_score
    second = {}

    def first_run_training(*args, **kwargs):
        if not second:
            with monkeypatch.context() as patch:
                calls = []
                patch.setattr(
                    experiments, "fit_and_score", lambda *a, **k: calls.append(1)
                )
                second["status"] = main([*argv, "--seed", "5"])
                second["trained"] = len(calls)
            second["err"] = capsys.readouterr().err
        return real(*args, **kwargs)

    monkeypatch.setattr(experiments, "fit_and_score", first_run_training)
    assert main(argv) == 0
    assert (second["status"], second["trained"]) == (1, 0)
    assert "Another animecls run" in second["err"]
    assert second["err"].rstrip().endswith(f"Received: --out {out}")
    settings = json.loads((out / "settings.json").read_text(encoding="utf-8"))
    assert settings["random_state"] == 0  # the winner's, not the loser's 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["splits"]


# ----------------------------------------------------- --out checked up front

_COMMANDS = {
    "compare": ["--quick", "--models", "pixels_svm"],
    "splits": ["--quick", "--splits", "1", "--models", "pixels_svm"],
    "learning-curve": ["--quick", "--seeds", "1", "--sizes", "2"],
    "remedies": ["--quick", "--seeds", "1", "--remedies", "none"],
    "shortcut": ["--quick", "--seeds", "1", "--models", "color_histogram_svm"],
}


def _bad_outs(tmp_path):
    (tmp_path / "a file").write_text("mine", encoding="utf-8")
    (tmp_path / "a folder").mkdir()
    (tmp_path / "a folder" / "notes.txt").write_text("mine", encoding="utf-8")
    return {
        "existing file": (tmp_path / "a file", "already exists"),
        "existing folder": (tmp_path / "a folder", "already exists"),
        "parent is a file": (
            tmp_path / "a file" / "run",
            "a folder above it is a file",
        ),
        "no .incomplete sibling": (tmp_path / ("r" * 250), "too long"),
        "/proc": ("/proc/animecls-run", "cannot hold new folders"),
    }


@pytest.mark.parametrize("command", list(_COMMANDS))
def test_every_command_checks_out_before_training(
    command, tiny_folder, tmp_path, monkeypatch, capsys
):
    trained = _count_training(monkeypatch, comparison)
    _count_training(monkeypatch, experiments, trained)
    data = [] if command == "shortcut" else [str(tiny_folder)]
    for name, (out, message) in _bad_outs(tmp_path).items():
        before = _snapshot(tmp_path)
        status = main([command, *data, *_COMMANDS[command], "--out", str(out)])
        err = capsys.readouterr().err
        assert status == 1, name
        assert err.startswith("animecls: error: ") and message in err, name
        # Every command names its option as it was typed, compare as well.
        assert err.rstrip().endswith(f"Received: --out {out}"), name
        assert _snapshot(tmp_path) == before, name
    assert trained == []


def test_the_advice_for_a_taken_folder_follows_the_caller(
    tiny_folder, tmp_path, monkeypatch, capsys
):
    trained = _count_training(monkeypatch, comparison)
    _count_training(monkeypatch, experiments, trained)
    taken = tmp_path / "taken"
    taken.mkdir()
    (tmp_path / "a file").write_text("mine", encoding="utf-8")
    runs_advice = "leave it out for a new time-stamped folder under runs/"
    # The command line: compare makes runs/<time-stamp> without --out, and
    # an experiment without --out saves nothing, so only compare says so.
    argv = ["compare", str(tiny_folder), *_COMMANDS["compare"], "--out", str(taken)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"Choose another --out, or {runs_advice}. Received: --out {taken}" in err
    argv = ["splits", str(tiny_folder), *_COMMANDS["splits"], "--out", str(taken)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"Choose another --out. Received: --out {taken}" in err
    # Python: the parameter, and no option of the command line.
    quick = {"models": ["pixels_svm"], "quick": True, "verbose": 0}
    for call in (
        lambda out: compare_models(tiny_folder, out_dir=out, **quick),
        lambda out: experiments.results_folder(out).__enter__(),
        RunFolder,  # as save_results makes it
    ):
        with pytest.raises(FileExistsError) as error:
            call(taken)
        message = str(error.value)
        assert f"{str(taken)!r} already exists; animecls never writes into" in message
        assert message.endswith(
            f"Choose another out_dir. Received: out_dir={str(taken)!r}"
        )
        assert "--out" not in message and "runs/" not in message
    # A file is called a file.
    with pytest.raises(FileExistsError) as error:
        compare_models(tiny_folder, out_dir=tmp_path / "a file", **quick)
    said = f"{str(tmp_path / 'a file')!r} already exists and is a file; animecls"
    assert str(error.value).startswith(f"{said} never overwrites a file.")
    assert trained == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file", "taken"]


def test_a_cache_dir_at_the_out_folder_is_refused_before_training(
    tiny_folder, tmp_path, monkeypatch, capsys
):
    trained = _count_training(monkeypatch, comparison)
    out = tmp_path / "X"
    argv = ["compare", str(tiny_folder), *_COMMANDS["compare"]]
    for cache in (out, out / "features", tmp_path / "X.incomplete" / "features"):
        assert main([*argv, "--cache-dir", str(cache), "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert f"--cache-dir {str(cache)!r} is " in err and "or inside it" in err
        assert err.rstrip().endswith(f"Received: --out {out}, --cache-dir {cache}")
    assert trained == [] and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="or inside it") as error:
        compare_models(tiny_folder, out_dir=out, cache_dir=out / "f", verbose=0)
    assert str(error.value).endswith(
        f"Received: out_dir={str(out)!r}, cache_dir={str(out / 'f')!r}"
    )


def test_a_cache_dir_holding_the_run_folder_is_accepted(tmp_path):
    # --cache-dir runs with compare's default runs/compare-<time-stamp>: the
    # cache's files have other names than the run folder's.
    runs = tmp_path / "runs"
    check_apart(runs / "compare-20250101-120000", runs)
    check_apart(tmp_path / "run", tmp_path)
    check_apart(tmp_path / "run", tmp_path / "run2")
    with experiments.results_folder(runs / "splits", cache_dir=runs):
        assert (runs / "splits.incomplete" / INCOMPLETE_MARKER).exists()
    assert not runs.exists()  # the claim made runs/, and let it go again


def test_the_out_folder_appearing_mid_run_keeps_the_results(
    tiny, tmp_path, monkeypatch
):
    out = tmp_path / "X"
    real = comparison.fit_and_score

    def another_program_makes_out(*args, **kwargs):
        out.mkdir(exist_ok=True)
        (out / "theirs.txt").write_text("theirs", encoding="utf-8")
        return real(*args, **kwargs)

    monkeypatch.setattr(comparison, "fit_and_score", another_program_makes_out)
    with pytest.raises(FileExistsError, match="appeared while this run") as error:
        compare_models(tiny, models=["pixels_svm"], out_dir=out, verbose=0)
    message = str(error.value)
    assert message.endswith(f"Received: out_dir={str(out)!r}")
    (recovered,) = tmp_path.glob("X.recovered-*")
    assert str(recovered) in message
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    assert (recovered / "results.csv").exists() and (recovered / "run.json").exists()
    assert not (recovered / INCOMPLETE_MARKER).exists()
    # No folder is left that every rerun would refuse.
    assert not (tmp_path / "X.incomplete").exists()
    monkeypatch.undo()
    result = compare_models(
        tiny, models=["pixels_svm"], out_dir=tmp_path / "Y", verbose=0
    )
    assert result.run_dir == str(tmp_path / "Y")


def test_a_file_appearing_while_written_is_never_replaced(tmp_path):
    path = tmp_path / "pairs.png"
    with pytest.raises(FileExistsError, match="appeared while animecls"):
        with atomic_write(path, overwrite=False) as temporary:
            with open(temporary, "wb") as f:
                f.write(b"ours")
            path.write_bytes(b"theirs")
    assert path.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.png"]


# ----------------------------------------------------- leakage --out


def test_leakage_out_never_overwrites_a_file(
    tiny_folder, tmp_path, monkeypatch, capsys
):
    import animecls.datasets

    def no_loading(*args, **kwargs):
        raise AssertionError("checked after the pictures were loaded")

    picture = next((tiny_folder / "Yor Forger").iterdir())
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"my figure")
    cases = {
        picture: "already exists",  # a picture of the folder analysed
        mine: "already exists",
        tiny_folder / "Yor Forger" / "pairs.png": "inside",
        tmp_path / "pairs.txt": "must end in one of",
        tmp_path / "missing" / "pairs.png": "does not exist",
    }
    before = _snapshot(tiny_folder), _snapshot(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(animecls.datasets, "load_image_folder", no_loading)
        for out, message in cases.items():
            assert main(["leakage", str(tiny_folder), "--out", str(out)]) == 1
            err = capsys.readouterr().err
            assert message in err and err.rstrip().endswith(f"Received: --out {out}")
    assert (_snapshot(tiny_folder), _snapshot(tmp_path)) == before
    assert main(["leakage", str(tiny_folder), "--out", str(tmp_path / "new.png")]) == 0
    assert (tmp_path / "new.png").read_bytes()[:4] == b"\x89PNG"


def test_leakage_out_appearing_during_the_run_is_kept(
    tiny_folder, tmp_path, monkeypatch, capsys
):
    import animecls.leakage

    out = tmp_path / "pairs.png"
    real = animecls.leakage.plot_duplicate_pairs

    def someone_writes_out(*args, **kwargs):
        out.write_bytes(b"theirs")
        return real(*args, **kwargs)

    monkeypatch.setattr(animecls.leakage, "plot_duplicate_pairs", someone_writes_out)
    assert main(["leakage", str(tiny_folder), "--out", str(out)]) == 1
    assert "appeared while animecls was writing it" in capsys.readouterr().err
    assert out.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.png"]


# ----------------------------------------------------- data make interrupted


def _interrupt_after(monkeypatch, n_pictures):
    """Ctrl-C as the picture after the first ``n_pictures`` is written."""
    import types

    from PIL import Image

    import animecls._folders

    count = []

    def fromarray(*args, **kwargs):
        count.append(1)
        if len(count) > n_pictures:
            raise KeyboardInterrupt
        return Image.fromarray(*args, **kwargs)

    # Only the writer's: the drawing uses Pillow too.
    monkeypatch.setattr(
        animecls._folders, "Image", types.SimpleNamespace(fromarray=fromarray)
    )


def test_ctrl_c_in_data_make_leaves_a_marked_set_a_rerun_replaces(
    tmp_path, monkeypatch, capsys
):
    target = tmp_path / "characters"
    argv = ["data", "make", str(target), "--n-per-class", "3", "--image-size", "32"]
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 4)
        assert main(argv) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not target.exists()  # never a partial set under the name asked for
    partial = tmp_path / "characters.incomplete"
    assert (partial / INCOMPLETE_MARKER).exists()
    assert len(list(partial.glob("*/*.png"))) == 4
    assert main(argv) == 0
    assert "Wrote 9 images" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["characters"]
    assert len(list(target.glob("*/*.png"))) == 9
    assert not (target / INCOMPLETE_MARKER).exists()


def test_ctrl_c_in_data_make_into_a_folder_of_other_files_leaves_it_as_it_was(
    tmp_path, monkeypatch, capsys
):
    target = tmp_path / "characters"
    (target / "Yor Forger").mkdir(parents=True)
    (target / "Yor Forger" / "mine.png").write_bytes(b"my own picture")
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    before = _snapshot(tmp_path)
    argv = ["data", "make", str(target), "--n-per-class", "3", "--image-size", "32"]
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 7)
        assert main(argv) == 130
    assert _snapshot(tmp_path) == before
    assert main(argv) == 0
    assert len(list(target.glob("*/0*.png"))) == 9
    # A rerun into the finished set is refused, and --overwrite replaces it.
    capsys.readouterr()
    assert main(argv) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite", "--seed", "1"]) == 0
    assert (target / "Yor Forger" / "mine.png").read_bytes() == b"my own picture"


def test_data_make_into_an_empty_folder_and_a_held_one(tmp_path, capsys):
    target = tmp_path / "characters"
    target.mkdir()
    target.chmod(0o750)
    inode = target.stat().st_ino
    argv = ["data", "make", str(target), "--n-per-class", "2", "--image-size", "32"]
    assert main(argv) == 0
    assert len(list(target.glob("*/*.png"))) == 6
    # Written in place: the user's folder, with its permissions, not a new one.
    assert target.stat().st_ino == inode and target.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["characters"]
    held = RunFolder(tmp_path / "other", option="DIR")
    held.claim()
    assert main(["data", "make", str(tmp_path / "other")]) == 1
    err = capsys.readouterr().err
    assert "Another animecls run" in err
    assert err.rstrip().endswith(f"Received: DIR {tmp_path / 'other'}")
    assert not (tmp_path / "other").exists()
    held.abandon()


# ----------------------------------------------------- claims failing part-way


def _full_disk_at_the_marker(patch):
    real = os.write

    def write(fd, data):
        if bytes(data).startswith(b"animecls is writing"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    patch.setattr(os, "write", write)


def _ctrl_c_before_the_marker_is_named(patch):
    real = os.rename

    def rename(source, destination, *args, **kwargs):
        if os.path.basename(destination) == INCOMPLETE_MARKER:
            raise KeyboardInterrupt
        return real(source, destination, *args, **kwargs)

    patch.setattr(os, "rename", rename)


@pytest.mark.parametrize(
    "failure", [_full_disk_at_the_marker, _ctrl_c_before_the_marker_is_named]
)
def test_a_claim_failing_part_way_leaves_nothing_a_rerun_refuses(
    failure, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "runs" / "run"
    with monkeypatch.context() as patch:
        failure(patch)
        with pytest.raises((OSError, KeyboardInterrupt)) as error:
            RunFolder(out, subfolders=("figures",)).claim()
    if failure is _full_disk_at_the_marker:
        message = str(error.value)
        assert message.startswith(f"Cannot write the run folder {str(out)!r}")
        assert "(the disk is full). Nothing was written." in message
        assert message.endswith(f"Received: out_dir={str(out)!r}")
    # Not the unmarked folder every rerun would refuse, nor runs/.
    assert list(tmp_path.iterdir()) == []
    folder = RunFolder(out, subfolders=("figures",))
    (folder.start() / "results.csv").write_text("mine", encoding="utf-8")
    assert folder.finish() == out and (out / "figures").is_dir()
    # The same through data make: the error, then a rerun that draws the set.
    target = tmp_path / "characters"
    argv = ["data", "make", str(target), "--n-per-class", "2", "--image-size", "32"]
    with monkeypatch.context() as patch:
        failure(patch)
        status = main(argv)
    err = capsys.readouterr().err
    if failure is _full_disk_at_the_marker:
        assert status == 1 and "(the disk is full)" in err
        assert err.rstrip().endswith(f"Received: DIR {target}")
    else:
        assert status == 130 and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]
    assert main(argv) == 0
    assert len(list(target.glob("*/*.png"))) == 6


# ----------------------------------------------------- file systems without links


def test_a_copy_failing_without_hard_links_leaves_no_partial_file(
    tmp_path, monkeypatch
):
    path = tmp_path / "pairs.png"

    def no_hard_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    real_copy = shutil.copyfileobj

    def copy_until_the_disk_is_full(source, target, *args, **kwargs):
        target.write(source.read(4))
        target.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", no_hard_links)
    with monkeypatch.context() as patch:
        patch.setattr(shutil, "copyfileobj", copy_until_the_disk_is_full)
        with pytest.raises(OSError) as error:
            with atomic_write(path, overwrite=False) as temporary:
                with open(temporary, "wb") as f:
                    f.write(b"the whole figure")
    message = str(error.value)
    assert error.value.errno == errno.ENOSPC
    assert f"Could not write {str(path)!r} (No space left on device)" in message
    assert message.endswith(f"nothing was written. Received: path={str(path)!r}")
    assert list(tmp_path.iterdir()) == []  # neither half a file nor a temporary
    # A file that appears meanwhile is kept, and said so, not a bare error.
    with pytest.raises(FileExistsError) as error:
        with atomic_write(path, overwrite=False) as temporary:
            with open(temporary, "wb") as f:
                f.write(b"ours")
            path.write_bytes(b"theirs")
    message = str(error.value)
    assert "appeared while animecls was writing it" in message
    assert message.endswith(f"Received: path={str(path)!r}")
    assert path.read_bytes() == b"theirs" and list(tmp_path.iterdir()) == [path]
    # And without a failure the copy is the file.
    assert shutil.copyfileobj is real_copy
    with atomic_write(tmp_path / "new.png", overwrite=False) as temporary:
        with open(temporary, "wb") as f:
            f.write(b"the whole figure")
    assert (tmp_path / "new.png").read_bytes() == b"the whole figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.png", "pairs.png"]


# ----------------------------------------------------- ".", "..", empty folders


def test_save_image_folder_writes_into_an_empty_current_folder_in_place(
    tiny, tmp_path, monkeypatch, capsys
):
    empty = tmp_path / "empty"
    empty.mkdir()
    inode = empty.stat().st_ino
    monkeypatch.chdir(empty)
    paths = save_image_folder(tiny, ".")
    assert len(paths) == len(tiny.target) and all(os.path.isfile(p) for p in paths)
    assert empty.stat().st_ino == inode  # the shell's folder, not a new one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]
    assert len(list(empty.glob("*/*.png"))) == len(tiny.target)
    # The command line too, and ".." from a folder inside the one to fill.
    (tmp_path / "set" / "here").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "set" / "here")
    argv = ["--n-per-class", "2", "--image-size", "32"]
    assert main(["data", "make", "..", *argv]) == 0
    assert len(list((tmp_path / "set").glob("*/*.png"))) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "set"]
    # A run folder named "." or ".." is the folder it names, never "..incomplete".
    for name in (".", ".."):
        with pytest.raises(FileExistsError) as error:
            RunFolder(name)
        named = os.path.abspath(name)
        assert str(error.value).startswith(f"{named!r} already exists")
        assert str(error.value).endswith(f"Received: out_dir={name!r}")
    capsys.readouterr()


def test_an_empty_folder_through_a_link_is_written_alike_by_api_and_cli(tiny, tmp_path):
    for n, write in enumerate(
        (
            lambda link: save_image_folder(tiny, link),
            lambda link: main(["data", "make", str(link), "--image-size", "32"]),
        )
    ):
        real = tmp_path / f"real{n}"
        real.mkdir()
        link = tmp_path / f"link{n}"
        link.symlink_to(real, target_is_directory=True)
        write(link)
        assert link.is_symlink() and len(list(real.glob("*/*.png"))) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "link0",
        "link1",
        "real0",
        "real1",
    ]


# ----------------------------------------------------- the claimed folder lost


def test_a_claimed_folder_removed_or_replaced_mid_run_is_an_error_not_a_traceback(
    tiny_folder, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "splits"
    partial = tmp_path / "splits.incomplete"
    real = experiments.fit_and_score

    def someone_removes_the_claim(*args, **kwargs):
        if partial.exists():
            shutil.rmtree(partial)
        return real(*args, **kwargs)

    monkeypatch.setattr(experiments, "fit_and_score", someone_removes_the_claim)
    argv = ["splits", str(tiny_folder), *_COMMANDS["splits"], "--out", str(out)]
    assert main(argv) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"animecls: error: {str(partial)!r}, where this run writes")
    assert "was removed (deleted" in last and "nothing was written to" in last
    assert last.endswith(f"Received: --out {out}")
    assert list(tmp_path.iterdir()) == []
    # Replaced: whatever is there now is left as it is.
    folder = RunFolder(out)
    folder.start()
    (partial / INCOMPLETE_MARKER).write_text("token: someone else's\n")
    with pytest.raises(FileNotFoundError) as error:
        folder.finish()
    assert "no longer holds this run's marker" in str(error.value)
    assert str(error.value).endswith(f"Received: out_dir={str(out)!r}")
    folder.abandon()
    assert (partial / INCOMPLETE_MARKER).read_text() == "token: someone else's\n"
    assert not out.exists()


# ----------------------------------------------------- splits


def _seed_leaving_out_of_fit(target, small):
    for seed in range(1000):
        split = split_indices(target, random_state=seed)
        if not (target[split.train] == small).any():
            return seed
    raise AssertionError("no such seed")


@pytest.fixture(scope="module")
def small_class():
    """Two characters of 20 pictures and one of 4."""
    return make_characters([20, 20, 4], image_size=(32, 32))


def test_compare_refuses_a_split_with_a_class_not_fitted_on(
    small_class, tmp_path, monkeypatch
):
    seed = _seed_leaving_out_of_fit(small_class.target, 2)
    trained = _count_training(monkeypatch, comparison)
    with pytest.raises(ValueError, match="'Yor Forger' has none to fit on") as error:
        compare_models(
            small_class,
            models=["pixels_svm"],
            out_dir=tmp_path / "run",
            save_models=False,
            random_state=seed,
            verbose=0,
        )
    message = str(error.value)
    assert "(of its 4 pictures: fit 0, validation " in message
    assert "Add pictures of that class, or try another seed" in message
    assert message.endswith(f"Received: random_state={seed}, validation_split=0.2")
    assert trained == [] and list(tmp_path.iterdir()) == []


def test_the_cli_says_which_class_before_training(
    small_class, tmp_path, monkeypatch, capsys
):
    folder = tmp_path / "data"
    save_image_folder(small_class, folder)
    seed = _seed_leaving_out_of_fit(small_class.target, 2)
    trained = _count_training(monkeypatch, comparison)
    monkeypatch.chdir(tmp_path)
    argv = ["compare", str(folder), "--quick", "--models", "pixels_svm"]
    assert main([*argv, "--no-save-models", "--seed", str(seed)]) == 1
    err = capsys.readouterr().err
    assert "animecls: error: Every class needs pictures to fit on" in err
    assert "'Yor Forger' has none to fit on" in err
    # Not even the runs/ folder the claim made is left.
    assert trained == [] and [p.name for p in tmp_path.iterdir()] == ["data"]


def test_experiments_check_every_seeds_split_before_the_first_trains(
    small_class, monkeypatch
):
    target = small_class.target

    def fits_every_class(seed):
        return len(set(target[split_indices(target, random_state=seed).train])) == 3

    # A first seed whose split is sound, followed by one that is not.
    first = next(
        s for s in range(1000) if fits_every_class(s) and not fits_every_class(s + 1)
    )
    trained = _count_training(monkeypatch, experiments)
    runs = {
        experiments.repeated_splits: {"n_splits": 2, "models": ["pixels_svm"]},
        experiments.measure_remedies: {"n_seeds": 2, "remedies": ["none"]},
    }
    for run, kwargs in runs.items():
        with pytest.raises(ValueError, match=rf"Received: seed={first + 1}, "):
            run(small_class, random_state=first, quick=True, **kwargs)
    assert trained == []


def _shortcut_fit_classes(n_per_class, seed):
    """How many classes the shortcut experiment's split of ``seed`` fits on."""
    target, is_test, _ = experiments._shortcut_labels(n_per_class, 0.3, seed)
    train = np.random.default_rng(seed).permutation(np.flatnonzero(~is_test))
    fit, validation = np.split(train, [int(len(train) * 0.8)])
    return len(set(target[fit])), len(set(target[validation]))


def test_the_shortcut_checks_every_seeds_split_before_drawing_or_training(
    monkeypatch, capsys
):
    import animecls._characters

    counts = [20, 20, 2]  # one training picture of the third, often validating
    first = next(
        s
        for s in range(1000)
        if _shortcut_fit_classes(counts, s)[0] == 3
        and _shortcut_fit_classes(counts, s + 1)[0] < 3
    )
    trained = _count_training(monkeypatch, experiments)
    drawn = []
    real = animecls._characters.make_shortcut_characters

    def counted(*args, **kwargs):
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(animecls._characters, "make_shortcut_characters", counted)
    with pytest.raises(ValueError, match="has none to fit on") as error:
        experiments.shortcut_experiment(
            n_per_class=counts,
            n_seeds=2,
            random_state=first,
            models=["color_histogram_svm"],
            quick=True,
        )
    assert str(error.value).endswith(
        f"Received: seed={first + 1}, n_per_class={counts!r}"
    )
    assert trained == [] and drawn == []
    # A class missing from validation only is said, before the first drawing.
    seed = next(s for s in range(1000) if _shortcut_fit_classes(counts, s) == (3, 2))

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(animecls._characters, "make_shortcut_characters", stop)
    with pytest.raises(KeyboardInterrupt):
        experiments.shortcut_experiment(
            n_per_class=counts,
            n_seeds=1,
            random_state=seed,
            models=["color_histogram_svm"],
            quick=True,
            verbose=1,
        )
    target, _, names = experiments._shortcut_labels(counts, 0.3, seed)
    small = names[int(np.argmin(np.bincount(target)))]
    err = capsys.readouterr().err
    assert f"Note: no validation picture of {small!r} with seed {seed} " in err


class _Trained(Exception):
    pass


def test_the_learning_curve_checks_every_seeds_split_through_the_shared_check(
    small_class, monkeypatch
):
    from animecls import _engine

    checked = []
    real = _engine.check_split_classes

    def recorded(target, class_names, parts, **kwargs):
        checked.append((sorted(parts), kwargs["received"]))
        return real(target, class_names, parts, **kwargs)

    def train(*args, **kwargs):
        raise _Trained

    monkeypatch.setattr(_engine, "check_split_classes", recorded)
    monkeypatch.setattr(experiments, "fit_and_score", train)
    with pytest.raises(_Trained):
        experiments.learning_curve(
            small_class,
            train_sizes=(2,),
            n_seeds=3,
            models=["pixels_svm"],
            quick=True,
            random_state=5,
        )
    # Every seed's split, checked before the first model trained; the
    # training part is whole (nothing validates in a learning curve).
    assert checked == [(["fit", "test"], f"seed={s}") for s in (5, 6, 7)]


def test_a_class_missing_from_validation_only_is_said_not_refused(
    tiny, tmp_path, capsys
):
    target = tiny.target
    seed = next(
        s
        for s in range(100)
        if len(set(target[split_indices(target, random_state=s).validation])) < 3
    )
    result = compare_models(
        tiny, models=["pixels_svm"], out_dir=tmp_path / "run", random_state=seed
    )
    (missing,) = result.split["validation_missing"]
    assert f"Note: no validation picture of {missing!r}" in capsys.readouterr().err
    intro = (tmp_path / "run" / "results.md").read_text(encoding="utf-8")
    assert f"it holds no picture of {missing!r}" in intro


# ----------------------------------------------------- sizes and memory


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--image-size", "100000"], f"at most {MAX_IMAGE_SIDE} pixels a side"),
        (["--image-size", "64x2000"], f"at most {MAX_IMAGE_SIDE} pixels a side"),
        (["--n-per-class", "1000000"], "at most 10,000 pictures per character"),
    ],
)
def test_sizes_past_the_limits_are_refused_before_anything(
    argv, message, tmp_path, capsys
):
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "make", str(tmp_path / "set"), *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.rstrip().endswith(f"Received: {argv[1]!r}")
    assert list(tmp_path.iterdir()) == []


def test_a_set_too_large_for_memory_is_refused_with_its_size(tmp_path, capsys):
    argv = ["data", "make", str(tmp_path / "set"), "--n-per-class", "10000"]
    assert main([*argv, "--image-size", "1024"]) == 1
    err = capsys.readouterr().err
    assert "30,000 pictures at 1024x1024 would take 87.9 GiB" in err
    assert err.rstrip().endswith(
        "Received: --image-size 1024x1024, --n-per-class 10000"
    )
    assert list(tmp_path.iterdir()) == []


def test_memory_error_names_the_size_asked_for(tmp_path, monkeypatch, capsys):
    import animecls.datasets

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 8.00 TiB for an array")

    monkeypatch.setattr(animecls.datasets, "make_characters", out_of_memory)
    argv = ["data", "make", str(tmp_path / "set"), "--n-per-class", "30"]
    assert main([*argv, "--image-size", "512"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error: not enough memory for this data run")
    assert "(Unable to allocate 8.00 TiB for an array)" in err
    assert err.rstrip().endswith("Received: --image-size 512x512, --n-per-class 30")
    assert list(tmp_path.iterdir()) == []


def test_compare_reports_memory_error_too(tiny_folder, tmp_path, monkeypatch, capsys):
    def out_of_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(comparison, "load_data", out_of_memory)
    out = tmp_path / "run"
    argv = ["compare", str(tiny_folder), "--image-size", "1000", "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "not enough memory for this compare run" in err
    assert err.rstrip().endswith("Received: --image-size 1000x1000")
    assert list(tmp_path.iterdir()) == []
