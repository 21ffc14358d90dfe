"""The Keras layers on JAX and on PyTorch, not only on TensorFlow.

They are written with keras.ops only, so they must run, and agree with PyTorch, on
every backend. Keras picks its backend once per process, so each backend gets one
subprocess that runs the other-backend scripts of three test modules (the attention
modules, dual pooling, BiFPN) one after the other: one start-up per backend instead
of three. Each module states its own script and how to check what it printed. The
hostile cases (tests/hostile.py) on these backends run in make test-slow, through
tools/hostile_run.py.

Marked slow: about a minute of two subprocesses, run by make test-slow (which CI runs
after make test), so that make test keeps within its 5 minutes on two cores.
"""

import json
import os
import subprocess
import sys

import pytest
import test_attention_modules
import test_bifpn
import test_dual_pooling

FAMILIES = {
    "attention_modules": test_attention_modules,
    "dual_pooling": test_dual_pooling,
    "bifpn": test_bifpn,
}
RUNNER = """
import json
scripts = {scripts!r}
results = {{}}
for family, script in scripts.items():
    namespace = {{}}
    exec(script, namespace)
    results[family] = namespace["results"]
print(json.dumps(results))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_keras_layers_give_the_same_result_on_other_backends(backend):
    pytest.importorskip(backend)
    tests = os.path.dirname(__file__)
    scripts = {
        family: module.OTHER_BACKEND_SCRIPT.format(tests=tests, backend=backend)
        for family, module in FAMILIES.items()
    }
    environment = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER.format(scripts=scripts)],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    on_backend = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(on_backend) == set(FAMILIES)
    for family, module in FAMILIES.items():
        module.check_other_backend_results(on_backend[family])
