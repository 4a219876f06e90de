"""The rule that turns package and import names into frameworks, versioned.

Why a table and a version: every figure the ``code`` method will publish must say which rule
decided it, and a later change of the table (a new framework, a package moved between
frameworks) must be visible as a new version rather than silently re-counting old repositories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

RULE_VERSION = "code-1"

PYTORCH, TENSORFLOW, JAX = "PyTorch", "TensorFlow", "JAX"
MXNET, PADDLE, MINDSPORE = "MXNet", "PaddlePaddle", "MindSpore"
SEVERAL = "several"  # more than one framework named: its own outcome, all of them kept
NONE = "none"

# Distribution names (PyPI, or conda for ``pytorch``), normalised as PEP 503 does.
PACKAGES: dict[str, str] = {
    "torch": PYTORCH,
    "pytorch": PYTORCH,  # the conda package
    "torchvision": PYTORCH,
    "torchaudio": PYTORCH,
    "tensorflow": TENSORFLOW,
    "tensorflow-gpu": TENSORFLOW,
    "tensorflow-cpu": TENSORFLOW,
    "tensorflow-macos": TENSORFLOW,
    "tf-nightly": TENSORFLOW,
    "keras": TENSORFLOW,
    "tf-keras": TENSORFLOW,
    "jax": JAX,
    "jaxlib": JAX,
    "flax": JAX,
    "dm-haiku": JAX,
    "optax": JAX,
    "equinox": JAX,
    "mxnet": MXNET,
    "paddlepaddle": PADDLE,
    "paddlepaddle-gpu": PADDLE,
    "mindspore": MINDSPORE,
    "mindspore-gpu": MINDSPORE,
}
# Packages named with a build suffix (mxnet-cu112, mindspore-cpu, ...).
PREFIXES: tuple[tuple[str, str], ...] = (("mxnet-", MXNET), ("mindspore-", MINDSPORE))

# Top-level modules a Python file imports.
IMPORTS: dict[str, str] = {
    "torch": PYTORCH,
    "torchvision": PYTORCH,
    "torchaudio": PYTORCH,
    "tensorflow": TENSORFLOW,
    "keras": TENSORFLOW,
    "tf_keras": TENSORFLOW,
    "jax": JAX,
    "flax": JAX,
    "haiku": JAX,
    "optax": JAX,
    "equinox": JAX,
    "mxnet": MXNET,
    "paddle": PADDLE,
    "mindspore": MINDSPORE,
}

_SEPARATORS = re.compile(r"[-_.]+")


def normalise(name: str) -> str:
    """PEP 503's normal form of a distribution name (``Tensorflow_GPU`` → ``tensorflow-gpu``)."""
    return _SEPARATORS.sub("-", name).lower().strip("-")


def package_framework(name: str) -> str | None:
    """The framework a distribution name belongs to, or None."""
    key = normalise(name)
    if key in PACKAGES:
        return PACKAGES[key]
    return next((fw for prefix, fw in PREFIXES if key.startswith(prefix)), None)


def import_framework(module: str) -> str | None:
    """The framework a top-level module name belongs to, or None."""
    return IMPORTS.get(module.split(".", 1)[0])


def outcome(frameworks: Iterable[str]) -> str:
    """One framework's name, ``several`` when more are named, ``none`` when none is."""
    found = set(frameworks)
    if not found:
        return NONE
    return found.pop() if len(found) == 1 else SEVERAL
