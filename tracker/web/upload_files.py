"""Uploaded data files between the upload and its confirmation: read, checked and staged.

A CSV is kept byte for byte (its SHA-256 is of those bytes). The first sheet of an XLSX is turned
into CSV text, every cell as text and dates in ISO 8601, because datasets are stored as CSV.
Until the analyst confirms, the bytes wait in the instance folder under a random token that only
the user who uploaded them can use; nothing goes in the session cookie, and a day later the
file is thrown away.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from pathlib import Path, PurePosixPath
from typing import Any

STAGING_FOLDER = "uploads"
STAGED_FOR_SECONDS = 24 * 60 * 60
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
FILENAME_MAX = 255
XLSX_SIGNATURE = b"PK\x03\x04"

NOT_CSV_OR_XLSX = "The selected file must be a CSV or XLSX"
EMPTY = "The selected file is empty"


class UnreadableFile(Exception):
    """The upload is not a CSV or XLSX we can read; the message is the GOV.UK error to show."""


@dataclass(frozen=True)
class ReadFile:
    """An upload as CSV bytes, with the name it will be stored under and where it came from."""

    filename: str
    content: bytes
    source_filename: str
    converted: bool


def size_text(limit: int) -> str:
    """A byte count as GOV.UK writes file sizes: 50MB, 500KB, 900 bytes."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if limit >= size:
            return f"{limit // size}{unit}"
    return f"{limit} bytes"


def read_upload(filename: str, data: bytes) -> ReadFile:
    """The upload as CSV bytes with a header and at least one row, or UnreadableFile saying why."""
    name = clean_filename(filename)
    extension = PurePosixPath(name).suffix.lower()
    if not data.strip():
        raise UnreadableFile(EMPTY)
    if extension == ".xlsx":
        content = xlsx_to_csv(data)
        stored = f"{PurePosixPath(name).stem}.csv"[-FILENAME_MAX:]
        read = ReadFile(filename=stored, content=content, source_filename=name, converted=True)
    elif extension == ".csv":
        if data.startswith(XLSX_SIGNATURE) or b"\x00" in data:
            raise UnreadableFile(NOT_CSV_OR_XLSX)
        read = ReadFile(filename=name, content=data, source_filename=name, converted=False)
    else:
        raise UnreadableFile(NOT_CSV_OR_XLSX)
    header, rows = csv_table(read.content)
    if not any(header):
        raise UnreadableFile(EMPTY)
    names = [column for column in header if column]
    repeated = sorted({column for column in names if names.count(column) > 1})
    if repeated:
        raise UnreadableFile(
            "The selected file has more than one column called "
            f"{', '.join(repr(column) for column in repeated)} – give each column its own name"
        )
    if not rows:
        raise UnreadableFile("The selected file has no rows of data under its header row")
    return read


def clean_filename(filename: str) -> str:
    """The file's own name without any folder, control characters or excess length."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = "".join(char for char in name if char.isprintable()).strip()
    if len(name) > FILENAME_MAX:
        suffix = PurePosixPath(name).suffix[:10]
        name = name[: FILENAME_MAX - len(suffix)] + suffix
    return name or "upload.csv"


def csv_table(content: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and non-blank rows, read as the datasets service reads them (rows numbered from 1)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("The selected file must be a CSV saved as UTF-8") from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [name.strip() for name in next(reader, [])]
        rows = [row for row in reader if row]
    except csv.Error:
        raise UnreadableFile(NOT_CSV_OR_XLSX) from None
    return header, rows


def xlsx_to_csv(data: bytes) -> bytes:
    """The first sheet of an XLSX workbook as UTF-8 CSV: cell values as text, dates as ISO 8601.

    Formulas give their last calculated value. Blank rows are left out and trailing blank cells
    trimmed to the header's width, so a sheet formatted beyond its data reads as its data.
    """
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    if not data.startswith(XLSX_SIGNATURE):
        raise UnreadableFile(NOT_CSV_OR_XLSX)
    with warnings.catch_warnings():
        # openpyxl warns about styles and extensions it does not read; the values still are.
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = workbook.worksheets
                rows = [[cell_text(value) for value in row] for row in sheets[0].values]
            finally:
                workbook.close()
        except Exception:  # a damaged or disguised file fails in zipfile, XML or openpyxl
            raise UnreadableFile(NOT_CSV_OR_XLSX) from None
    rows = [_trimmed(row) for row in rows]
    rows = [row for row in rows if row]
    if not rows:
        raise UnreadableFile(EMPTY)
    width = len(rows[0])
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)))
    return output.getvalue().encode("utf-8")


def _trimmed(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row = row[:-1]
    return row


def cell_text(value: Any) -> str:
    """A spreadsheet value as the text a person would type for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time_of_day(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time_of_day):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@dataclass
class StagedUpload:
    """An upload waiting for its column mapping and confirmation."""

    token: str
    user_id: int
    pilot_slug: str
    number: int
    filename: str
    source_filename: str
    converted: bool
    created: float
    mapping: dict[str, Any] | None = field(default=None)


class Staging:
    """The uploads waiting in one folder: a .csv with the bytes and a .json describing them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, *, user_id: int, pilot_slug: str, number: int, read: ReadFile) -> StagedUpload:
        """Keep the bytes under a new random token, first throwing away expired uploads."""
        self.remove_expired()
        self.folder.mkdir(parents=True, exist_ok=True)
        staged = StagedUpload(
            token=secrets.token_urlsafe(24),
            user_id=user_id,
            pilot_slug=pilot_slug,
            number=number,
            filename=read.filename,
            source_filename=read.source_filename,
            converted=read.converted,
            created=time.time(),
        )
        path = self._content_path(staged.token)
        path.write_bytes(read.content)
        path.chmod(0o600)
        self.save(staged)
        return staged

    def save(self, staged: StagedUpload) -> None:
        """Write the description (with the column mapping once chosen)."""
        path = self._meta_path(staged.token)
        path.write_text(json.dumps(asdict(staged)), encoding="utf-8")
        path.chmod(0o600)

    def find(
        self, token: str, *, user_id: int, pilot_slug: str, number: int
    ) -> StagedUpload | None:
        """The upload under `token` if this user made it for this iteration and it is fresh."""
        if not TOKEN_PATTERN.fullmatch(token):
            return None
        try:
            staged = StagedUpload(**json.loads(self._meta_path(token).read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        if self._expired(staged):
            self.remove(token)
            return None
        if (staged.user_id, staged.pilot_slug, staged.number) != (user_id, pilot_slug, number):
            return None
        return staged

    def content(self, staged: StagedUpload) -> bytes:
        return self._content_path(staged.token).read_bytes()

    def remove(self, token: str) -> None:
        for path in (self._content_path(token), self._meta_path(token)):
            path.unlink(missing_ok=True)

    def remove_expired(self) -> None:
        """Delete every upload staged more than a day ago (and any half-written leftovers)."""
        if not self.folder.is_dir():
            return
        cutoff = time.time() - STAGED_FOR_SECONDS
        for path in self.folder.iterdir():
            if path.suffix in {".csv", ".json"} and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)

    def _expired(self, staged: StagedUpload) -> bool:
        return time.time() - staged.created > STAGED_FOR_SECONDS

    def _content_path(self, token: str) -> Path:
        return self.folder / f"{token}.csv"

    def _meta_path(self, token: str) -> Path:
        return self.folder / f"{token}.json"
