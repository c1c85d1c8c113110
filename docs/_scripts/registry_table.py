"""Write the built-in models' table, from the registry, for the docs.

python docs/_scripts/registry_table.py
"""

import pathlib

from animecls.registry import models_markdown

OUT = pathlib.Path(__file__).resolve().parents[1] / "_generated" / "models-registry.md"

if __name__ == "__main__":
    OUT.write_text(models_markdown(), encoding="utf-8")
