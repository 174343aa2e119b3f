"""Sales from a point-of-sale CSV export, stored by `sales_record` in batches.

The file is UTF-8 text with a header row naming at least `id`, `at` and `amount` (`items` and `basket_id`
are optional, other columns are ignored), separated by commas or semicolons. A file that cannot be read as
such is refused as a whole, before anything is stored; a bad row is only reported, by its line in the file.
"""

from __future__ import annotations

import csv
import io
from itertools import islice

from django.core.exceptions import ValidationError

from ingest.sales import SALES_BATCH_MAX, SalesResult, sales_record
from vision.sources import human_size

SALES_CSV_MAX_BYTES = 20 * 2**20
SALES_CSV_REQUIRED_COLUMNS = ("id", "at", "amount")


def sales_csv_record(venue, upload) -> SalesResult:
    """Store the sales of an uploaded CSV file of one venue (rows are named by line; the header is line 1)."""
    reader = _csv_reader(_csv_text(upload))
    numbered = ((reader.line_num, row) for row in reader)
    accepted = duplicates = 0
    rejected = []
    while batch := list(islice(numbered, SALES_BATCH_MAX)):
        line_numbers, rows = zip(*batch, strict=True)
        result = sales_record(venue, rows, row_numbers=line_numbers)
        accepted, duplicates = accepted + result.accepted, duplicates + result.duplicates
        rejected += result.rejected
    return SalesResult(accepted=accepted, duplicates=duplicates, rejected=rejected)


def _csv_text(upload) -> str:
    name = repr(upload.name) if upload.name else "The file"
    if upload.size > SALES_CSV_MAX_BYTES:
        raise ValidationError(
            {"file": f"{name} is {human_size(upload.size)}; the limit is {human_size(SALES_CSV_MAX_BYTES)}."}
        )
    try:
        text = upload.read().decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as error:
        raise ValidationError(
            {"file": f"{name} is not UTF-8 text (byte {error.start} is not): export it as CSV in UTF-8."}
        ) from None
    if "\x00" in text:
        raise ValidationError({"file": f"{name} contains NUL bytes: it is not a CSV text file."})
    if not text.strip():
        raise ValidationError({"file": f"{name} is empty: expected a header row with id, at, amount."})
    return text


def _csv_reader(text: str) -> csv.DictReader:
    """Rows as dicts keyed by the header's column names (lower case), once the whole file is known to be
    readable as CSV and its header to have the required columns."""
    header = text.partition("\n")[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    lines = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for _ in lines:
            pass
    except csv.Error as error:
        raise ValidationError({"file": f"Line {lines.line_num} cannot be read as CSV: {error}."}) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
    missing = [name for name in SALES_CSV_REQUIRED_COLUMNS if name not in reader.fieldnames]
    if missing:
        raise ValidationError(
            {
                "file": f"The header row (line 1) lacks the column(s) {', '.join(missing)}; "
                f"it has: {', '.join(reader.fieldnames) or 'none'}."
            }
        )
    return reader
