import numpy as np
import pytest

pytest.importorskip("keras")

from animecls import _engine  # noqa: E402
from animecls._engine import (  # noqa: E402
    Workspace,
    _kept_epochs,
    _verdict,
    fit_and_score,
    resolve_models,
)
from animecls.datasets import make_characters  # noqa: E402


def _curves(val_loss):
    n = len(val_loss)
    return {
        "accuracy": [0.5] * n,
        "val_accuracy": [0.5] * n,
        "loss": list(np.linspace(0.8, 0.01, n)),
        "val_loss": val_loss,
    }


def test_kept_epochs_drop_each_phases_discarded_tail():
    # Head: 4 epochs, epoch 1 kept; fine-tuning from it: 6 epochs, epoch 3 kept.
    assert _kept_epochs([(4, 1), (6, 3)]) == [0, 4, 5, 6]
    # A phase without early stopping keeps all its epochs.
    assert _kept_epochs([(3, None), (2, 1)]) == [0, 1, 2, 3]
    assert _kept_epochs([(5, 2)]) == [0, 1]


def test_verdict_of_a_fine_tuned_model_reads_the_epoch_it_kept():
    # The head's best, 0.3 at its epoch 1, is never beaten by fine-tuning,
    # which started from it and kept its own best, 0.6 at its epoch 3: the
    # model scored has grown worse than its start. An argmin over the joined
    # history would judge the head's epoch 1 instead (no turn: inconclusive).
    head = [0.3, 0.8, 0.9, 1.0]
    finetune = [0.9, 0.7, 0.6, 0.65, 0.7, 0.8]
    history = _curves(head + finetune)
    phases = [(4, 1), (6, 3)]
    assert _verdict(history, 1.0, 25 / 26, 26, phases=phases) == "overfitting"
    only_head = _curves(head[:1])
    assert _verdict(only_head, 1.0, 25 / 26, 26) == "inconclusive"


def test_verdict_without_early_stopping_reads_every_epoch():
    history = _curves([0.3, 0.8, 0.9, 1.0])
    assert _verdict(history, 1.0, 25 / 26, 26, phases=[(4, None)]) == "overfitting"
    assert _verdict(history, 1.0, 25 / 26, 26) == "overfitting"
    assert _verdict(history, 1.0, 25 / 26, 26, phases=[(4, 1)]) == "inconclusive"


def test_fine_tuned_run_records_both_phases_best_epochs(monkeypatch):
    data = make_characters(8, image_size=(32, 32), random_state=0)
    space = Workspace(
        data, weights=None, weights_label="none", seed=0, epochs=2, cache_dir=None
    )
    (entry,) = resolve_models(["drawn_transfer"])
    seen = {}

    def spy(history, *args, phases=None):
        seen.update(history=history, phases=phases)
        return _verdict(history, *args, phases=phases)

    monkeypatch.setattr(_engine, "_verdict", spy)
    index = np.arange(len(data.target))
    fit, val = index[::2], index[1::2]
    outcome = fit_and_score(
        entry,
        space,
        fit,
        val,
        val,
        seed=0,
        options={"finetune": True, "early_stopping": 1},
    )
    (n_head, best_head), (n_finetune, best_finetune) = seen["phases"]
    val_loss = outcome.history["val_loss"]
    assert n_head + n_finetune == len(val_loss) == outcome.row["epochs_run"]
    # Each phase's kept epoch is its own first lowest validation loss.
    assert best_head == int(np.argmin(val_loss[:n_head])) + 1
    assert best_finetune == int(np.argmin(val_loss[n_head:])) + 1
    assert seen["history"] is outcome.history
