"""Write the shipped drawn backbone's record as a table, for the docs.

Reads ``animecls/_data/drawn_backbone.json`` (written by ``animecls pretrain``
beside the weights) and writes ``docs/_generated/drawn-backbone-record.md``;
no training::

    python docs/_scripts/drawn_backbone_record.py
"""

import pathlib

from animecls._backbone import DRAWN_WEIGHTS, drawn_record

OUT = pathlib.Path(__file__).resolve().parents[1] / "_generated"


def table():
    record = drawn_record()
    settings = record["settings"]
    size = "x".join(str(s) for s in settings["image_size"])
    parts = record["n_pictures"]
    machine = record["machine"]
    rows = [
        (
            "identities",
            f"{settings['n_identities']} random designs, none close to the "
            "default characters",
        ),
        (
            "pictures",
            f"{settings['n_per_identity']} per identity at {size}: "
            f"{parts['fit']:,} to train on, {parts['validation']:,} held out",
        ),
        (
            "training",
            f"{settings['epochs']} epochs, batch {settings['batch_size']}, Adam "
            f"{settings['learning_rate']:g} with cosine decay, augmentation, "
            f"seed {settings['random_state']}",
        ),
        (
            "accuracy on the held-out pictures",
            f"{record['pretraining_val_accuracy']:.3f} (chance {record['chance']:.4f})",
        ),
        (
            "weights",
            f"{record['n_parameters']:,} ({DRAWN_WEIGHTS.stat().st_size / 2**20:.1f}"
            f" MiB file), {record['features']} features per picture",
        ),
        (
            "time",
            f"{record['drawing_time_s']:.0f} s drawing, "
            f"{record['training_time_s']:.0f} s training on {machine['cpus']} "
            f"CPU cores ({machine['gpus']} GPU)",
        ),
        ("versions", ", ".join(f"{k} {v}" for k, v in record["versions"].items())),
        ("sha256", f"`{record['sha256']}`"),
    ]
    lines = ["| | |", "| --- | --- |"] + [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (OUT / "drawn-backbone-record.md").write_text(table(), encoding="utf-8")
