"""Record what the marked sections of a docs script print.

The guides show a snippet's code (included from the script) and, below it,
what it printed (included from ``docs/_generated/``). A :class:`Recorder`
copies everything printed between :meth:`~Recorder.start` and
:meth:`~Recorder.stop` into a text, so the output on the page is the output
of the code on the page. Sections whose output is the same on every run
(parameter counts, intervals) are *checked*: a test compares them with the
committed files. Sections that train report measurements that move a little
between machines and TensorFlow builds; they are regenerated, not compared.
"""

import io
import pathlib
import sys

DOCS = pathlib.Path(__file__).resolve().parents[1]


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()


class Recorder:
    """Collect the printed output of named sections.

    Parameters
    ----------
    prefix : str
        Start of every file name, e.g. ``"models"`` for ``models-<name>.txt``.
    """

    def __init__(self, prefix):
        self.prefix = prefix
        self.texts = {}
        self.checked = set()
        self._buffer = None
        self._name = None
        self._stdout = None

    def start(self, name, *, checked=False):
        """Start copying what is printed into the section ``name``."""
        if self._name is not None:
            raise RuntimeError(f"section {self._name!r} was not stopped")
        self._name = f"{self.prefix}-{name}.txt"
        if checked:
            self.checked.add(self._name)
        self._buffer = io.StringIO()
        self._stdout = sys.stdout
        sys.stdout = _Tee(self._stdout, self._buffer)

    def stop(self):
        """Stop copying, and keep the section's text."""
        sys.stdout = self._stdout
        self.texts[self._name] = self._buffer.getvalue()
        self._name = None

    def write(self, folder):
        """Write every section to ``folder/<prefix>-<name>.txt``."""
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in self.texts.items():
            (folder / name).write_text(text, encoding="utf-8")
            print("wrote", folder / name, file=sys.stderr)
