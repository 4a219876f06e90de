"""The code collector's repository check, against a GitHub stand-in on 127.0.0.1 serving the
documented formats (tests/fixtures/github_code/): each outcome, what each costs in requests, a
re-check that costs only 304s, a renamed repository, a spent quota; then the pure parsers, with
hypothesis properties that arbitrary text never makes them raise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.github_code import FakeRepo, GitHubCode
from tests.support.loopback import Loopback
from tests.support.papers_support import loopback_client
from trendbot.collectors.code import manifests, terms
from trendbot.collectors.code.repo import (
    MAX_PY_FILES,
    check_repo,
    parse_repo_name,
    pick_python,
)
from trendbot.collectors.http import QuotaSpent

TORCH_REQS = "# training\ntorch>=2.1 ; python_version >= '3.9'\nnumpy\n-r extra.txt\n"


def world() -> GitHubCode:
    gh = GitHubCode()
    gh.add(FakeRepo("lab/sbom-torch", {"train.py": "import torch\n"},
                    sbom=["pkg:pypi/torch@2.1.0", "pkg:pypi/numpy@1.26.0"]))  # fmt: skip
    gh.add(FakeRepo("lab/reqs-torch", {"requirements.txt": TORCH_REQS, "train.py": "import os\n"}))
    gh.add(FakeRepo("lab/several", {
        "pyproject.toml": '[project]\ndependencies = ["jax>=0.4"]\n'
                          '[project.optional-dependencies]\ntf = ["tensorflow>=2.15"]\n',
        "environment.yml": "name: x\nchannels:\n  - pytorch\ndependencies:\n  - python=3.10\n",
    }))  # fmt: skip
    gh.add(FakeRepo("lab/imports-jax", {
        "requirements.txt": "numpy\nscipy\n",
        "src/model.py": "import numpy as np\nfrom flax import linen as nn\n",
        "main.py": "print 'python 2'\nimport jax.numpy as jnp\n",
    }))  # fmt: skip
    gh.add(FakeRepo("lab/sbom-no-fw", {"run.py": "import paddle\n"}, sbom=["pkg:pypi/numpy@1.0"]))
    gh.add(FakeRepo("lab/plain", {"README.md": "# notes\n", "util.py": "import os\n"}))
    gh.add(FakeRepo("lab/empty", {}))
    return gh


async def check(gh_srv, repo, previous=None, env=None):
    gh, srv = gh_srv
    before = len(srv.requests)
    async with loopback_client(srv, env=env or {"GITHUB_TOKEN": "ghp_secret"}, **gh.urls) as http:
        result = await check_repo(http, repo, previous)
    sent = srv.requests[before:]
    return result, sent


@pytest.fixture
async def gh_srv():
    gh = world()
    async with Loopback() as srv:
        gh.urls = gh.install(srv)
        yield gh, srv


async def test_each_outcome_with_its_evidence_and_request_count(gh_srv):
    got, sent = await check(gh_srv, "lab/sbom-torch")
    assert (got.outcome, got.decided_by, [str(e) for e in got.evidence]) == (
        "PyTorch", "sbom", ["SBOM: pkg:pypi/torch@2.1.0"])  # fmt: skip
    assert (got.api_requests, got.raw_requests, len(sent)) == (2, 0, 2)
    assert sent[0].headers["Authorization"] == "Bearer ghp_secret"
    assert sent[0].headers["Accept"] == "application/vnd.github+json"

    got, sent = await check(gh_srv, "lab/reqs-torch")
    assert got.outcome == "PyTorch" and got.decided_by == "manifests"
    assert [str(e) for e in got.evidence] == [
        "requirements.txt: torch>=2.1 ; python_version >= '3.9'"]  # fmt: skip
    assert got.evidence[0].line == 2
    assert [r.path for r in sent] == [
        "/api/repos/lab/reqs-torch", "/api/repos/lab/reqs-torch/dependency-graph/sbom",
        "/api/repos/lab/reqs-torch/git/trees/main", "/raw/lab/reqs-torch/main/requirements.txt",
    ]  # fmt: skip
    assert sent[2].query == {"recursive": "1"}
    assert "Authorization" not in sent[3].headers  # the token goes to the API only
    assert (got.api_requests, got.raw_requests) == (3, 1)

    got, _ = await check(gh_srv, "lab/several")
    assert got.outcome == "several" and got.frameworks == ("JAX", "TensorFlow")
    assert {str(e) for e in got.evidence} == {
        "pyproject.toml: jax>=0.4", "pyproject.toml: tensorflow>=2.15"}  # fmt: skip
    # the channel "pytorch" of environment.yml is not a package
    assert "PyTorch" not in got.frameworks

    got, sent = await check(gh_srv, "lab/imports-jax")
    assert got.outcome == "JAX" and got.decided_by == "imports"
    assert {str(e) for e in got.evidence} == {
        "main.py: import jax.numpy as jnp",  # Python 2: the regex fallback
        "src/model.py: from flax import linen as nn",
    }
    assert set(got.read) == {"requirements.txt", "main.py", "src/model.py"}
    assert got.raw_requests == 3

    # The SBOM lists Python packages, none a framework: straight to the imports (no manifest).
    got, sent = await check(gh_srv, "lab/sbom-no-fw")
    assert (got.outcome, got.decided_by, got.read) == (
        "PaddlePaddle",
        "imports",
        ("SBOM", "run.py"),
    )

    got, _ = await check(gh_srv, "lab/plain")
    assert (got.outcome, got.evidence, got.read) == ("none", (), ("util.py",))

    got, sent = await check(gh_srv, "lab/empty")
    assert (got.outcome, got.api_requests, got.raw_requests) == ("empty", 3, 0)
    assert sent[-1].path.endswith("/git/trees/main")

    got, sent = await check(gh_srv, "lab/deleted")
    assert (got.outcome, got.requests, got.etags) == ("gone", 1, {})


async def test_a_recheck_of_unchanged_repositories_costs_only_304s(gh_srv):
    gh, _ = gh_srv
    for name in ("lab/sbom-torch", "lab/reqs-torch", "lab/imports-jax", "lab/plain"):
        first, _ = await check(gh_srv, name)
        again, sent = await check(gh_srv, name, first)
        assert again.unchanged and again.outcome == first.outcome
        assert again.evidence == first.evidence and again.rule == terms.RULE_VERSION
        assert [r.headers.get("If-None-Match") for r in sent] == [first.etags["repo"]]
        assert (again.requests, again.not_modified) == (1, 1)
        # Stars moved, the code did not: a 200 for the repository, 304s for what decided it.
        gh.repos[name].stars += 5
        third, sent = await check(gh_srv, name, again)
        assert third.unchanged and third.outcome == first.outcome
        # repository 200, SBOM 304 (or its 404 again when the graph is off), tree 304
        assert (third.api_requests, third.raw_requests, third.not_modified) == (
            2 if gh.repos[name].sbom else 3, 0, 1)  # fmt: skip


async def test_a_changed_source_is_read_again(gh_srv):
    gh, _ = gh_srv
    first, _ = await check(gh_srv, "lab/reqs-torch")
    gh.repos["lab/reqs-torch"].files["requirements.txt"] = "tensorflow==2.15\n"
    gh.repos["lab/reqs-torch"].stars += 1  # a push changes the repository's answer
    again, _ = await check(gh_srv, "lab/reqs-torch", first)
    assert not again.unchanged
    assert (again.outcome, [str(e) for e in again.evidence]) == (
        "TensorFlow", ["requirements.txt: tensorflow==2.15"])  # fmt: skip
    # and a repository deleted since: gone, whatever it was
    del gh.repos["lab/reqs-torch"]
    gone, _ = await check(gh_srv, "lab/reqs-torch", again)
    assert gone.outcome == "gone" and not gone.unchanged


async def test_a_renamed_repository_is_followed_and_its_new_name_recorded(gh_srv):
    gh, _ = gh_srv
    gh.rename("lab/reqs-torch", "newlab/torch-code")
    got, sent = await check(gh_srv, "lab/reqs-torch")
    assert (got.outcome, got.moved_to, got.full_name) == ("PyTorch", "newlab/torch-code",
                                                          "newlab/torch-code")  # fmt: skip
    assert [r.path for r in sent[:2]] == ["/api/repos/lab/reqs-torch", "/api/repositories/1001"]
    assert sent[-1].path == "/raw/newlab/torch-code/main/requirements.txt"
    assert got.api_requests == 4  # the 301 counts
    assert "moved to newlab/torch-code" in got.summary()


async def test_a_spent_quota_stops_the_check_with_quota_spent(gh_srv):
    gh, _ = gh_srv
    gh.quota_spent = True
    with pytest.raises(QuotaSpent) as raised:
        await check(gh_srv, "lab/reqs-torch")
    assert raised.value.resets_at is not None
    assert "ghp_secret" not in str(raised.value)


def test_bounded_python_files_and_repo_names():
    tree = [{"path": f"pkg/m{i}.py", "type": "blob", "size": 10} for i in range(30)]
    tree += [{"path": "train.py", "type": "blob", "size": 10},
             {"path": "huge.py", "type": "blob", "size": 10**7}]  # fmt: skip
    picked = pick_python(tree)
    assert len(picked) == MAX_PY_FILES and picked[0] == "train.py" and "huge.py" not in picked
    assert parse_repo_name("openai/CLIP.git") == "openai/CLIP"
    with pytest.raises(ValueError):
        parse_repo_name("../../etc/passwd")


# --- the pure parsers ---------------------------------------------------------------------------


def test_requirements_markers_extras_comments_includes():
    text = (
        "# comment\n-r base.txt\n--index-url https://x\ntorch[cuda]==2.1 # pinned\n"
        "tensorflow-gpu>=2 ; sys_platform == 'linux'\nnumpy \\\n  >=1.2\n"
        "https://example.org/pkg.whl\nflax @ git+https://github.com/google/flax\n"
        "-e git+https://github.com/x/y.git#egg=mxnet-cu112\n"
    )
    names = [(d.name, d.line) for d in manifests.parse_requirements(text)]
    assert names == [("torch", 4), ("tensorflow-gpu", 5), ("numpy", 6), ("flax", 9),
                     ("mxnet-cu112", 10)]  # fmt: skip
    fws = {terms.package_framework(n) for n, _ in names} - {None}
    assert fws == {"PyTorch", "TensorFlow", "JAX", "MXNet"}


def test_setup_py_cfg_pyproject_poetry_environment():
    setup_py = 'BASE = ["torch>=1.9"]\nsetup(install_requires=BASE + ["numpy"],\n' \
               '      extras_require={"jax": ["jax", "optax"]})\n'  # fmt: skip
    assert [d.name for d in manifests.parse_setup_py(setup_py)] == [
        "torch",
        "numpy",
        "jax",
        "optax",
    ]
    broken = 'setup(install_requires=["mindspore>=2"], print "x")'
    assert [d.name for d in manifests.parse_setup_py(broken)] == ["mindspore"]
    cfg = (
        "[options]\ninstall_requires =\n    keras>=3\n[options.extras_require]\nx = paddlepaddle\n"
    )
    got = [(d.name, d.line) for d in manifests.parse_setup_cfg(cfg)]
    assert got == [("keras", 3), ("paddlepaddle", 5)]
    poetry = '[tool.poetry.dependencies]\npython = "^3.10"\ntorch = {version = "^2.0"}\n' \
             '[tool.poetry.group.dev.dependencies]\ndm-haiku = "*"\n'  # fmt: skip
    assert [d.name for d in manifests.parse_pyproject(poetry)] == ["torch", "dm-haiku"]
    env = "channels:\n  - pytorch\ndependencies:\n  - pytorch::pytorch=2.1\n  - pip:\n" \
          "    - tf-keras==2.15\n"  # fmt: skip
    assert [d.name for d in manifests.parse_environment_yml(env)] == ["pytorch", "tf-keras"]
    assert manifests.manifest_kind("requirements/dev.txt") == "requirements"
    assert manifests.manifest_kind("docs/notes.txt") is None


def test_imports_with_ast_and_relative_ones_skipped():
    text = "import os, torch.nn as nn\nfrom . import jax\nfrom tensorflow import keras\n"
    assert [(d.name, d.line) for d in manifests.parse_imports(text)] == [
        ("os", 1), ("torch", 1), ("tensorflow", 3)]  # fmt: skip


_LINES = st.lists(
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            ["torch>=2", "-r x.txt", "# c", "\\", "import jax", "from . import x", "[", "@", "\x00"]
        ),
    ),
    max_size=30,
).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINES)
def test_no_parser_raises_on_arbitrary_text(text):
    for parse in (*manifests.PARSERS.values(), manifests.parse_imports):
        for item in parse(text):
            assert item.name and isinstance(item.line, int)
    manifests.parse_sbom({"sbom": {"packages": [{"externalRefs": [{"referenceLocator": text}]}]}})


async def test_a_recheck_of_a_link_spelled_in_another_case_still_costs_only_304s(gh_srv):
    """GitHub's names are case-insensitive: a paper's "LAB/Reqs-Torch" is "lab/reqs-torch", so
    a re-check after its stars moved reads no file again."""
    gh, _ = gh_srv
    from trendbot.collectors.papers.code_phase import previous_check, repo_row
    from trendbot.storage.code import RepoTodo

    first, _ = await check(gh_srv, "LAB/Reqs-Torch")
    assert first.outcome == "PyTorch" and first.moved_to is None
    stored = previous_check(repo_row(RepoTodo("github.com", "LAB/Reqs-Torch", 1), first))
    gh.repos["lab/reqs-torch"].stars += 5
    again, sent = await check(gh_srv, "LAB/Reqs-Torch", stored)
    assert again.unchanged and again.raw_requests == 0, [r.path for r in sent]
