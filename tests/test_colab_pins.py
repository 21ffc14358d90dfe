"""`make test-colab`: requirements-colab.txt only replaces pins of requirements.txt, and
the workflow's second job installs CPU torch into .venv-colab before it runs."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9_.-]+)(\[[^]]*\])?==(?P<version>[^;\s]+)(?P<rest>.*)$"
)


def pins(path):
    """{(name, marker): version} for every `name==version[; marker]` line."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found[match["name"].lower(), match["rest"].strip()] = match["version"]
    return found


def test_colab_overrides_replace_pins_that_requirements_txt_has():
    main, colab = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-colab.txt")
    assert colab, "requirements-colab.txt names no pin"
    for key, version in colab.items():
        assert key in main, f"{key}: not pinned in requirements.txt with this marker"
        assert main[key] != version, f"{key}: the same pin as requirements.txt"


def test_tests_workflow_runs_make_test_colab_after_cpu_torch_in_its_venv():
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8")
    )
    (job,) = [
        job
        for job in workflow["jobs"].values()
        if any(step.get("run") == "make test-colab" for step in job["steps"])
    ]
    runs = [step.get("run", "") for step in job["steps"]]
    cpu = [i for i, run in enumerate(runs) if "download.pytorch.org/whl/cpu" in run]
    assert cpu and cpu[0] < runs.index("make test-colab")
    script = runs[cpu[0]]
    assert "python -m venv .venv-colab" in script
    assert ".venv-colab/bin/python -m pip" in script
    assert "^torch==' requirements.txt" in script, "take the pin from one place"
    setup = next(
        s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@")
    )
    assert "requirements-colab.txt" in setup["with"]["cache-dependency-path"]
