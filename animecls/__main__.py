"""``python -m animecls``: the ``animecls`` command, where its script is not on PATH.

A virtual environment that is not activated, or a ``pip install --user`` whose
scripts folder is missing from PATH, still has the package: ``python -m``
finds it through the interpreter instead.
"""

import sys

from .cli import main

# Guarded so that tools that import every module (docs, test collectors) do
# not run the command and exit.
if __name__ == "__main__":
    sys.exit(main())
