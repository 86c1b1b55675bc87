"""Split one line of CSV text into fields, honouring double quotes (RFC 4180 style)."""

from __future__ import annotations


def split_fields(line: str, sep: str = ",") -> list[str]:
    fields: list[str] = []
    field: list[str] = []
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"':
                if i + 1 <= len(line) and line[i + 1] == '"':  # a doubled quote stands for one quote
                    field.append('"')
                    i += 1
                else:
                    in_quotes = False
            else:
                field.append(ch)
        elif ch == '"':
            in_quotes = True
        elif ch == sep:
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    if in_quotes:
        raise ValueError(f"unterminated quote in {line!r}")
    fields.append("".join(field))
    return fields


def parse_record(line: str, columns: list[str]) -> dict[str, str]:
    values = split_fields(line)
    if len(values) != len(columns):
        raise ValueError(f"expected {len(columns)} fields, got {len(values)}")
    return dict(zip(columns, values))
