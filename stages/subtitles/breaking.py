"""Subtitle line breaking by phrase: where a row may end, where a cue may end, rows balanced.

Chinese has no spaces, so a break may not fall just anywhere: jieba's dictionary segmenter gives
the words (一封信, 六百年, 周师傅 stay whole), runs of one-character words are kept together
(见过, 太多, 等着: a verb and its particle), and a row or cue only ends between two such pieces.
English breaks between words. Either way sentence ends are the best places, clause ends (commas,
semicolons) the next best, other phrase ends the last resort. Punctuation stays with the phrase
before it, an opening bracket with the phrase after it, so no row starts with a full stop or holds
one lonely character.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from stages.media.text import NO_LINE_END, NO_LINE_START, display_width
from stages.subtitles.words import dictionary_file, disk_cutter, disk_dictionary

SENTENCE_END = re.compile(r"[。！？!?…]+[”’」』）)\"']*\s*$|(?<![A-Z])\.[”’\"')]*\s*$")
CLAUSE_END = re.compile(r"[，、；：,;:—～~]+[”’」』）)\"']*\s*$")
# Penalties for ending a row or a cue after a phrase of each kind (lower is better).
COST_SENTENCE, COST_CLAUSE, COST_PHRASE = 0.0, 1.0, 4.0
COST_PER_CUE = 2.0  # fewer cues read better, all else equal
MIN_ROW_CHARS = 2  # never a row of one character (or of punctuation alone)
MAX_RUN = 5  # one-character pieces joined into one unbreakable piece, at most this many
PARTICLES = set("吗呢吧啊呀么嘛啦")  # sentence-final particles stay with the phrase before them
DETERMINERS = set("一两几这那每某各")  # numerals and demonstratives stay with the noun after them
AFTER_PARTICLE = set("了过着的地得")  # a word ends after these
BEFORE_PRONOUN = set("我你他她您它")  # and one starts before these


@lru_cache(maxsize=1)
def _chinese_words() -> Callable[[str], list[str]]:
    """jieba's dictionary segmenter, its dictionary looked up on disk (``stages.subtitles.words``):
    loading it into each worker cost a one-line edit 1.5 s or more, twice."""
    return disk_cutter(disk_dictionary(dictionary_file()))


def phrases(text: str, language: str) -> list[str]:
    """The text cut into pieces that must stay whole: BudouX phrases (zh) or words (en)."""
    text = " ".join(text.split())
    if not text:
        return []
    if language == "zh" or re.search(r"[\u3400-\u9fff]", text):
        pieces = []
        for chunk in re.findall(r"\S+\s*", text):  # a space in Chinese text is a break too
            pieces.extend(_join_single_characters(_chinese_words()(chunk)))
    else:
        pieces = re.findall(r"\S+\s*", text)
    return _attach_punctuation(pieces)


def _join_single_characters(pieces: list[str]) -> list[str]:
    """The segmenter cuts many one-character words (见|过, 太|多, 等|着): a run of them is usually one
    word or a verb and its particle, so the run stays together (up to MAX_RUN characters), and a lone
    one joins the phrase after it."""
    out: list[str] = []
    run = ""
    for piece in pieces:
        if out and not run and piece[0] in PARTICLES:  # 意思|吗？: a sentence particle ends its phrase
            out[-1] += piece
            continue
        if len(piece) == 1 and piece not in NO_LINE_START:
            run += piece
            continue
        if run:
            if len(run) > 1 and run[-1] in DETERMINERS:  # 留了一|封信: the numeral goes with its noun
                run, piece = run[:-1], run[-1] + piece
            out.extend(_split_run(run))
            run = ""
            if len(out[-1]) == 1:  # one lone character: it belongs with what follows
                piece = out.pop() + piece
        out.append(piece)
    if run:
        out.extend(_split_run(run))
    return out


def _split_run(run: str) -> list[str]:
    """A run longer than MAX_RUN cut where words most likely meet: after a particle, before a pronoun."""
    if len(run) <= MAX_RUN:
        return [run]

    def cost(i: int) -> float:
        seam = 0.0 if run[i - 1] in AFTER_PARTICLE or run[i] in BEFORE_PRONOUN else 2.0
        return seam + abs(len(run) / 2 - i) / len(run)

    cut = min(range(1, len(run)), key=cost)
    return [*_split_run(run[:cut]), *_split_run(run[cut:])]


def _attach_punctuation(pieces: list[str]) -> list[str]:
    """Closing punctuation joins the phrase before it, opening brackets the phrase after it."""
    out: list[str] = []
    for piece in pieces:
        closes = piece.strip() == "" or piece.lstrip()[0] in NO_LINE_START
        after_opening = bool(out) and bool(out[-1].rstrip()) and out[-1].rstrip()[-1] in NO_LINE_END
        if out and (closes or after_opening):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def end_cost(piece: str) -> float:
    """How good a break is right after ``piece``."""
    if SENTENCE_END.search(piece):
        return COST_SENTENCE
    if CLAUSE_END.search(piece):
        return COST_CLAUSE
    return COST_PHRASE


def width_of(pieces: list[str]) -> int:
    return display_width("".join(pieces).strip())


def _hard_split(piece: str, columns: int) -> list[str]:
    """A single phrase wider than a row (a very long word): cut by columns, the only way left."""
    out, row = [], ""
    for ch in piece:
        if row and display_width(row + ch) > columns:
            out.append(row)
            row = ""
        row += ch
    return [*out, row] if row else out


def _letters(pieces: list[str]) -> int:
    return sum(1 for ch in "".join(pieces) if ch.isalnum())


def wrap_rows(pieces: list[str], columns: int) -> list[str] | None:
    """The pieces as one row, or as two balanced rows that each fit; None when two rows cannot hold them."""
    if width_of(pieces) <= columns:
        return ["".join(pieces).strip()]
    best: tuple[float, int] | None = None
    for k in range(1, len(pieces)):
        head, tail = pieces[:k], pieces[k:]
        w1, w2 = width_of(head), width_of(tail)
        if w1 > columns or w2 > columns or min(_letters(head), _letters(tail)) < MIN_ROW_CHARS:
            continue
        cost = abs(w1 - w2) / max(1, columns) + 0.3 * end_cost(pieces[k - 1])
        if best is None or cost < best[0]:
            best = (cost, k)
    if best is None:
        return None
    k = best[1]
    return ["".join(pieces[:k]).strip(), "".join(pieces[k:]).strip()]


def break_cues(text: str, language: str, columns: int) -> list[list[str]]:
    """The line as cues of at most two rows each, cut at the cheapest phrase ends (dynamic programming)."""
    pieces: list[str] = []
    for piece in phrases(text, language):
        pieces.extend(_hard_split(piece, columns) if display_width(piece.strip()) > columns else [piece])
    if not pieces:
        return []
    n = len(pieces)
    best: list[tuple[float, int] | None] = [None] * (n + 1)  # best[j]: (cost, start of the last cue)
    best[0] = (0.0, 0)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            if width_of(pieces[i:j]) > 2 * columns:
                break
            if best[i] is None or wrap_rows(pieces[i:j], columns) is None:
                continue
            cost = best[i][0] + COST_PER_CUE + (end_cost(pieces[j - 1]) if j < n else 0.0)
            if _letters(pieces[i:j]) < MIN_ROW_CHARS and n > 1:
                cost += 10.0  # a cue of a lone character only when nothing else is possible
            if best[j] is None or cost < best[j][0]:
                best[j] = (cost, i)
    cues, j = [], n
    while j > 0:
        found = best[j]
        if found is None:  # cannot happen: any single piece fits a row after the hard split
            raise ValueError(f"cannot break {text!r} into rows of {columns} columns")
        i = found[1]
        cues.append(wrap_rows(pieces[i:j], columns) or ["".join(pieces[i:j]).strip()])
        j = i
    return cues[::-1]
