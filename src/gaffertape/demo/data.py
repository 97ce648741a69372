"""The demo university's people, marks and submissions, generated deterministically from a seed.

Everything here is a pure function of the configuration, so two servers with the same seed serve
the same data and the truth file can be checked against a fresh generation. File contents are
not generated here (see :mod:`gaffertape.demo.zipstream`): only their names and sizes, so that
5,000 students start in well under a second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from gaffertape.demo.config import DemoConfig

SCHEME: tuple[tuple[str, int, float], ...] = (
    ("Project definition", 8, 1.0),
    ("Research and analysis", 8, 1.5),
    ("Design and implementation", 8, 2.5),
    ("Evaluation", 8, 1.5),
    ("Presentation", 8, 1.5),
)
TOTAL_WEIGHTED = sum(top * weight for _, top, weight in SCHEME)
GRADE_BOUNDARIES = (40, 55, 70, 85)
DIFFERENCE_LIMIT = 0.15 * TOTAL_WEIGHTED
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NO_SUBMISSION_RATE = 0.05
GROUP_SIZE = 20
SLIP_RATE = 0.04

# (name, bias in marks per category, noise standard deviation): tuned so ~20% need third marking.
MARKERS: tuple[tuple[str, float, float], ...] = (
    ("Dr Aoife Ní Bhriain", 0.0, 0.16),
    ("Prof. Jürgen Weiß", -0.2, 0.12),
    ("Ms Chloé Martín", 0.2, 0.18),
    ("Dr Kwame Mensah", 0.05, 0.14),
    ("Mr Søren Østergaard", -0.15, 0.2),
    ("Dr Priya Raghunathan", 0.15, 0.14),
    ("Dr Tomasz Wójcik", -0.05, 0.18),
)
FIRST_NAMES = (
    "Zoë", "José", "Siobhán", "Łukasz", "Bjørn", "Chloé", "Anaïs", "Ömer", "Renée", "Mårten",
    "Íñigo", "Ayşe", "Dāvis", "Noémie", "Ciarán", "Håkon", "Amélie", "Jürgen", "Wei", "Fatima",
    "Oliver", "Grace", "Mohammed", "Emily", "Seán", "Ngozi", "Raúl", "Małgorzata", "Yusuf", "Ella",
)
SURNAMES = (
    "Müller", "O'Brien", "García", "Østby", "Kowalczyk", "Ní Bhriain", "Đorđević", "Nguyễn",
    "Smith", "Jones", "Söderström", "Çelik", "Fernández", "Dvořák", "Lefèvre", "Begum", "Patel",
    "MacDonald", "Åberg", "Szabó", "D'Angelo", "Kırmızı", "Williams", "Brown", "Ó Súilleabháin",
)
COMMENTS = (
    "A clear account of the problem; the evaluation could be more critical.",
    "Solid implementation, but the research section lacks recent sources.",
    "Well presented. Design choices are justified against the requirements.",
    "The project definition is vague and the scope drifts; good reflective writing.",
    "Excellent technical work; the report's structure makes it hard to follow.",
    "Competent throughout. Testing is thin — say more about what was not tested.",
    "Ambitious and mostly achieved; referencing is inconsistent (see Harvard guide).",
)
FILE_KINDS = (  # (suffix, share of the zip)
    ("_EMA_report.pdf", 0.55),
    ("_design.docx", 0.15),
    ("_prototype.ipynb", 0.10),
    ("_screenshot_1.png", 0.12),
    ("_photo_2.jpg", 0.08),
    ("_appendix.pdf", 0.05),
)
DEADLINE = datetime(2026, 5, 14, 12, 0)


@dataclass(frozen=True)
class FileSpec:
    """One submitted file: enough to generate its bytes (via ``key``) without storing them."""

    name: str
    size: int
    submitted: datetime
    key: str


@dataclass(frozen=True)
class MarkSet:
    """One marker's marks for one script."""

    marker: str
    marks: tuple[int, ...]
    comments: str

    @property
    def percent(self) -> float:
        """Weighted total as a percentage of the 64 available weighted marks."""
        total = sum(mark * weight for mark, (_, _, weight) in zip(self.marks, SCHEME, strict=True))
        return round(100 * total / TOTAL_WEIGHTED, 2)


@dataclass(frozen=True)
class Student:
    """A student, their submission (if any) and the two markers' marks."""

    pi: str
    name: str
    course: str
    tutor_group: str
    code: str | None
    files: tuple[FileSpec, ...]
    first: MarkSet | None
    second: MarkSet | None
    flag_reasons: tuple[str, ...]
    evil: bool
    malformed: str | None

    @property
    def submitted(self) -> bool:
        """Whether there is anything to download and mark."""
        return bool(self.files)

    @property
    def needs_third(self) -> bool:
        """Whether first and second marks disagree enough to need a third marker."""
        return bool(self.flag_reasons)


MALFORMED_VARIANTS = (
    "extra_cell", "font_pi", "whitespace", "stray_tags", "unclosed", "missing_cell",
)


def generate(config: DemoConfig) -> list[Student]:
    """All students for this configuration, in PI order, identical for identical configs."""
    rng = random.Random(f"demo-university:{config.seed}")
    pis = _unique_pis(rng, config.students)
    return [_student(rng, config, index, pi) for index, pi in enumerate(pis)]


def _unique_pis(rng: random.Random, count: int) -> list[str]:
    """Distinct OU-style personal identifiers: a capital letter and 7 digits."""
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(f"{rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}{rng.randrange(10**7):07d}")
    return sorted(seen)


def _student(rng: random.Random, config: DemoConfig, index: int, pi: str) -> Student:
    """One student: identity, submission, marks and the faults that concern them."""
    first_name, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    submitted = rng.random() >= NO_SUBMISSION_RATE
    ability = [min(8.0, max(0.0, rng.gauss(5.0, 1.3))) for _ in SCHEME]
    first, second = (_mark_sets(rng, ability) if submitted else (None, None))
    malformed, evil = _fault_draws(config, pi)
    return Student(
        pi=pi,
        name=f"{first_name} {surname}",
        course=config.courses[index % len(config.courses)],
        tutor_group=f"TG{index // GROUP_SIZE + 1:02d}",
        code="-".join("".join(rng.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(2))
        if submitted else None,
        files=_files(rng, config, pi, surname) if submitted else (),
        first=first,
        second=second,
        flag_reasons=_flag_reasons(first, second) if first and second else (),
        evil=submitted and evil,
        malformed=_applicable(malformed, first, second),
    )


def _applicable(variant: str | None, first: MarkSet | None, second: MarkSet | None) -> str | None:
    """A row may only lose its trailing cell when that cell holds no link (no third marking)."""
    if variant == "missing_cell" and first and second and _flag_reasons(first, second):
        return "extra_cell"
    return variant


def _fault_draws(config: DemoConfig, pi: str) -> tuple[str | None, bool]:
    """Malformed-row variant and evil-zip choice, from their own RNG so faults never change data."""
    rng = random.Random(f"demo-faults:{config.seed}:{pi}")
    faults = config.faults
    variant = rng.choice(MALFORMED_VARIANTS)
    malformed = variant if rng.random() < faults.malformed_rate else None
    evil = rng.random() < faults.evil_zip_rate or pi in faults.evil_zip_pis
    return malformed, evil


def _mark_sets(rng: random.Random, ability: list[float]) -> tuple[MarkSet, MarkSet]:
    """Two distinct markers' marks: the student's ability seen through each marker's bias and noise.

    Now and then the second marker has an off day (a large slip), which gives the occasional
    big disagreement that real moderation catches, on top of the boundary cases.
    """
    picks = rng.sample(MARKERS, 2)
    slips = (0.0, rng.choice((-1.8, 1.8)) if rng.random() < SLIP_RATE else 0.0)
    return tuple(  # type: ignore[return-value]
        MarkSet(
            marker=name,
            marks=tuple(
                min(8, max(0, round(level + bias + slip + rng.gauss(0, noise))))
                for level in ability
            ),
            comments=rng.choice(COMMENTS),
        )
        for (name, bias, noise), slip in zip(picks, slips, strict=True)
    )


def _flag_reasons(first: MarkSet, second: MarkSet) -> tuple[str, ...]:
    """Why a script needs third marking: a large difference and/or a straddled grade boundary."""
    reasons = []
    if abs(first.percent - second.percent) * TOTAL_WEIGHTED / 100 > DIFFERENCE_LIMIT:
        reasons.append("difference")
    if _band(first.percent) != _band(second.percent):
        reasons.append("boundary")
    return tuple(reasons)


def _band(percent: float) -> int:
    """Index of the grade band a percentage falls in."""
    return sum(percent >= boundary for boundary in GRADE_BOUNDARIES)


def _files(rng: random.Random, config: DemoConfig, pi: str, surname: str) -> tuple[FileSpec, ...]:
    """2–6 files whose sizes add up to about ``zip_mb`` (0.5–1.5 times it) for this student."""
    budget = config.zip_mb * 1_000_000 * rng.uniform(0.5, 1.5)
    kinds = FILE_KINDS[: rng.randint(2, len(FILE_KINDS))]
    when = DEADLINE - timedelta(minutes=rng.randrange(14 * 24 * 60))
    stem = surname.replace(" ", "_").replace("'", "")
    return tuple(
        FileSpec(
            name=f"{stem}{suffix}" if position == 0 else f"{pi}{suffix}",
            size=max(1024, int(budget * share * rng.uniform(0.8, 1.2))),
            submitted=when + timedelta(minutes=position * rng.randrange(1, 30)),
            key=f"{config.seed}:{pi}:{position}",
        )
        for position, (suffix, share) in enumerate(kinds)
    )
