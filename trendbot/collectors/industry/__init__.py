"""Industry collectors: keep the industry series in the ``metrics`` table current from their
public sources, one module per source (fetch → pure transform → rows), run and saved by ``run``.

| module | source | metrics |
|---|---|---|
| ``github`` | GitHub REST | github-stars (+ star history), -forks, -open-issues, -contributors |
| ``clickhouse`` | ClickHouse public PyPI dataset (ClickPy) | pypi-downloads(-day, -month) |
| ``pypistats`` | pypistats.org (fallback, last 180 days) | the same |
| ``hn`` | HN Algolia search | hn-hiring |
| ``stackexchange`` | Stack Exchange API 2.3 | stackoverflow-questions |
| ``huggingface`` | Hugging Face Hub | hf-models |
| ``arxiv`` | arXiv API | arxiv-mentions |

``await collect_industry(store, settings, metrics=…, frameworks=…, since=…)`` runs them.
"""

from typing import Any

# Loaded on first use: importing one collector module (or ``base`` for its types) does not load
# every collector and aiohttp with them.
_EXPORTS = {
    "Progress": "base",
    "SourceFault": "base",
    "COLLECTORS": "run",
    "METRICS": "run",
    "PRIMARY": "run",
    "Result": "run",
    "RunReport": "run",
    "UsageError": "run",
    "collect_industry": "run",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = sorted(_EXPORTS)
