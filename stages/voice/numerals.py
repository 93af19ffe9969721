"""Digits for Mandarin speech. espeak-ng's ``cmn-latn-pinyin`` reads a number as a quantity
(2024 -> 二千二十四), which is wrong for years, phone numbers and codes; those are read digit by digit."""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
_YEAR = re.compile(r"(\d{2,4})(?=\s*年)")
_LONG = re.compile(r"\d{5,}")  # phone numbers, ids: never a quantity in dialogue


def digit_by_digit(number: str) -> str:
    return "".join(DIGITS[int(d)] for d in number)


def spoken_digits_zh(text: str) -> str:
    """Years (``2024年``) and long digit strings become 汉字 digits; other numbers are left to espeak."""
    text = _YEAR.sub(lambda m: digit_by_digit(m.group(1)), text)
    return _LONG.sub(lambda m: digit_by_digit(m.group(0)), text)
