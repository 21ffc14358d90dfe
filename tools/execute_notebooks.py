"""Re-execute notebooks in place, top to bottom in a fresh kernel, as nbval runs them.

    python tools/execute_notebooks.py notebooks/02_squeeze_excitation.ipynb [...]

Any error stops the run: a chapter shows an error on purpose inside ``with
expect_error(...)`` (cnn_attention.utils), which prints it and runs on.
Per-cell timing metadata is not recorded, so a re-run only changes what the code prints.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# Same environment as the tests (conftest.py): set before any kernel starts.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402


def coalesce_streams(notebook) -> None:
    """Merge consecutive outputs of one stream.

    A print can arrive in two chunks when the kernel flushes under load, and the page
    would show its end on a line of its own. nbval compares streams coalesced, so this
    changes no test."""
    for cell in notebook.cells:
        merged = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - started
    coalesce_streams(notebook)
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    return seconds


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: executed in {execute(Path(name)):.1f} s", flush=True)
