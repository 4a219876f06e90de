"""The code of a paper: which framework a GitHub repository is written in, with evidence.

``terms`` (the versioned rule: package and import names → frameworks), ``manifests`` (pure
parsers: SBOM JSON, requirements files, setup.py / setup.cfg / pyproject.toml, environment.yml,
Python imports) and ``repo`` (fetching through the shared client with GitHub's policy, then
deciding). The paper collection calls it per venue-year (``collectors/papers/code_phase.py``)
and stores what it finds (``storage/code.py``).
"""
