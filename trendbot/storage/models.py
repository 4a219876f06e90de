"""Plain result records handed from the store to the command layer.

They are frozen dataclasses rather than sqlite rows so that commands (and chart workers in other
processes) receive values that cannot reach back into the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Venue:
    id: str
    name: str
    full_name: str
    field: str
    month: int | None


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    url: str
    citation: str
    kind: str
    collected_at: str


# The ``code`` method's figures beside its frameworks: repositories naming more than one framework,
# or none; and what its population is made of (stored as ``paper_counts`` rows of the method too,
# so an update event says "linked 2,300 → 2,310"): the venue-year's accepted papers, those whose
# text was searched for links, those linking their own code, and of those the repositories that
# are gone (404), empty, on a host this rule does not read (GitLab), or not read yet (a quota).
CODE_OUTCOMES = ("several", "none")
CODE_COVERAGE = ("accepted", "searched", "linked", "gone", "empty", "elsewhere", "unread")


@dataclass(frozen=True)
class Method:
    """A named, versioned counting rule: the terms searched per framework and how papers count.

    ``exclusive``: the study's rule (a paper naming both PyTorch and TensorFlow counts for
    neither); ``both``: a pair also reported together as its own figure ("pytorch+tensorflow").
    """

    id: str
    name: str
    version: str
    title: str
    description: str
    pytorch_terms: tuple[str, ...]
    tensorflow_terms: tuple[str, ...]
    exclusive: bool
    affiliation_filter: str
    is_default: bool
    aliases: tuple[str, ...] = ()
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    both: tuple[str, ...] = ()
    kind: str = (
        "text"  # "text": terms searched in the paper; "code": its own repository's framework
    )

    @property
    def is_code(self) -> bool:
        """The ``code`` method: counts repositories, not text; its population is the papers that
        link their own code (``paper_counts.total_papers`` is how many of those were read)."""
        return self.kind == "code"

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(self.terms) or ("pytorch", "tensorflow")

    @property
    def figures(self) -> tuple[str, ...]:
        """Every figure the method reports, in display order (frameworks, then the pair; for the
        ``code`` method, then ``several`` and ``none``, which shares are also taken of)."""
        if self.is_code:
            return (*self.frameworks, *CODE_OUTCOMES)
        return (*self.frameworks, *(("+".join(self.both),) if self.both else ()))

    @property
    def two_way(self) -> bool:
        """Counts exactly PyTorch against TensorFlow, as the 2019 study did."""
        return set(self.frameworks) == {"pytorch", "tensorflow"} and not self.both


@dataclass(frozen=True)
class VenueYear:
    """Framework counts for one venue-year under one counting method, with provenance."""

    venue_id: str
    year: int
    method_id: str
    counts: dict[str, int] = field(hash=False)
    total_papers: int
    population: str
    note: str
    source_id: str
    collected_at: str
    # The same venue-year from other sources (e.g. trendbot's own collection beside the study's
    # published figure), least preferred last.
    others: tuple[VenueYear, ...] = field(default=(), hash=False, compare=False)

    @property
    def pytorch(self) -> int:
        return self.counts.get("pytorch", 0)

    @property
    def tensorflow(self) -> int:
        return self.counts.get("tensorflow", 0)

    @property
    def classified(self) -> int:
        return self.pytorch + self.tensorflow

    @property
    def pytorch_share(self) -> float | None:
        """PyTorch / (PyTorch + TensorFlow), the study's headline figure; None when both are 0."""
        return self.pytorch / self.classified if self.classified else None


@dataclass(frozen=True)
class Coverage:
    venue_id: str
    method_id: str
    years: tuple[int, ...]
