"""What the detector finds on a sheet: tables, their parts, and the role of every cell."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """One detected table: row/column sets by role, plus the texts kept as metadata."""

    index: int
    left: int
    right: int
    title_rows: list[int] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)
    body_rows: list[int] = field(default_factory=list)
    section_rows: list[int] = field(default_factory=list)
    total_rows: list[int] = field(default_factory=list)
    # rows heading a group that add it up ("Durable goods" over its industries): is_total too
    subtotal_rows: list[int] = field(default_factory=list)
    total_cols: list[int] = field(default_factory=list)  # data columns that sum their neighbours
    note_rows: list[int] = field(default_factory=list)
    label_cols: list[int] = field(default_factory=list)
    data_cols: list[int] = field(default_factory=list)
    # qualifier columns ("U", "J3" beside each number, under no heading of their own): their
    # codes are flags of the number on their left, not observations
    flag_cols: list[int] = field(default_factory=list)
    # qualifier rows: bracketed notes right under the numbers they qualify ("(1981 Q1)")
    flag_rows: list[int] = field(default_factory=list)
    # upper header rows of an earlier table that this one continues (same columns, its own
    # header only the last level, e.g. series codes): read before this table's own header rows
    shared_header_rows: list[int] = field(default_factory=list)
    title: str = ""
    notes: str = ""
    unit: str = ""  # "thousands", "£ million": from a unit line above the headings

    @property
    def top(self) -> int:
        return min(self.title_rows + self.header_rows + self.body_rows + self.note_rows)

    @property
    def bottom(self) -> int:
        return max(self.body_rows + self.note_rows + self.section_rows + self.flag_rows)


@dataclass
class SheetLayout:
    """All tables detected on one grid."""

    source: str
    sheet: str
    tables: list[Table]
