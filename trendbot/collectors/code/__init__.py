"""The code of a paper: which framework a GitHub repository is written in, with evidence.

``terms`` (the versioned rule: package and import names → frameworks), ``manifests`` (pure
parsers: SBOM JSON, requirements files, setup.py / setup.cfg / pyproject.toml, environment.yml,
Python imports) and ``repo`` (fetching through the shared client with GitHub's policy, then
deciding). Not yet wired into the paper collection, the store or chat.
"""
