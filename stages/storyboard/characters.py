"""Who is in the film: the script's speakers and cast lists, reconciled with the spec's characters.

A character the spec does not describe still needs a face and a voice, so both are derived from
the name (a hash, so the same name always gets the same look and voice across runs and shots).
Narration lines carry ``character=None``, unless the spec describes a narrator under one of
:data:`NARRATOR_NAMES`; then the narrator is a character and narration lines carry its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from stages.hashing import stable_int
from stages.models import Character, CharacterSpec, Script

NARRATOR_NAMES = ("旁白", "NARRATOR", "Narrator", "narrator")
Gender = Literal["female", "male", "neutral"]

_ZH_FEMALE = "女妈娘姐妹婆奶姑婶嫂姨妻娜丽婷雪晚婉芳燕玲琳莉萍霞妍媛倩薇瑶怡"
_ZH_MALE = "男爸爹哥弟爷叔伯舅公夫郎总砚刚强伟军勇峰磊涛鹏杰浩斌龙虎师傅"
_EN_FEMALE = {
    "maya",
    "anna",
    "mary",
    "sarah",
    "emma",
    "olivia",
    "lily",
    "grace",
    "mother",
    "mom",
    "woman",
    "girl",
    "lady",
    "grandma",
    "aunt",
    "sister",
    "queen",
    "she",
    "jane",
    "kate",
    "lucy",
    "rose",
}
_EN_MALE = {
    "man",
    "old man",
    "boy",
    "father",
    "dad",
    "grandpa",
    "uncle",
    "brother",
    "king",
    "john",
    "tom",
    "jack",
    "sam",
    "david",
    "mike",
    "james",
    "peter",
    "guard",
    "officer",
}

_ZH_LOOKS = {
    "age": ("二十出头", "二十多岁", "三十岁上下", "四十来岁", "年过五十", "六十多岁"),
    "hair": ("齐肩黑发", "高马尾", "短发", "微卷长发", "寸头", "花白头发"),
    "wear": ("米色风衣", "深蓝工装外套", "白衬衫", "黑色立领夹克", "灰色毛衣", "红色围巾"),
}
_EN_LOOKS = {
    "age": ("in their twenties", "around thirty", "in their forties", "in their sixties"),
    "hair": ("short dark hair", "long auburn hair", "grey hair", "curly black hair", "a neat ponytail"),
    "wear": ("a navy coat", "a worn leather jacket", "a white shirt", "a green raincoat", "a grey sweater"),
}


def _hash(*parts: object) -> int:
    return stable_int(*parts)


def derive_seed(name: str, job_seed: int) -> int:
    """A character's image seed when the spec gives none: stable for the name within a job."""
    return _hash("seed", job_seed, name) % 2**31


def guess_gender(name: str, language: str) -> Gender:
    """A guess from common name characters or words; a hash decides when nothing hints."""
    if language == "zh":
        female = sum(ch in _ZH_FEMALE for ch in name)
        male = sum(ch in _ZH_MALE for ch in name)
    else:
        words = name.lower()
        female = int(words in _EN_FEMALE or any(w in _EN_FEMALE for w in words.split()))
        male = int(words in _EN_MALE or any(w in _EN_MALE for w in words.split()))
    if female != male:
        return "female" if female > male else "male"
    return "female" if _hash("gender", name) % 2 else "male"


def default_voice(name: str, language: str, gender: Gender) -> tuple[str, int, int]:
    """An espeak-ng voice (language + variant), pitch (0-99) and speed (words/min) from the name."""
    h = _hash("voice", name)
    if gender == "female":
        variant, pitch = f"f{1 + h % 5}", 55 + h % 20
    elif gender == "male":
        variant, pitch = f"m{1 + h % 7}", 25 + h % 20
    else:
        variant, pitch = "m3", 45
    if language == "zh":
        base, speed = "cmn-latn-pinyin", 165 + (h >> 8) % 30
    else:
        base, speed = ("en-us", "en-gb")[(h >> 16) % 2], 160 + (h >> 8) % 30
    return f"{base}+{variant}", pitch, speed


def default_appearance(name: str, language: str, gender: Gender) -> str:
    h = _hash("look", name)
    looks = _ZH_LOOKS if language == "zh" else _EN_LOOKS

    def pick(kind: str, shift: int) -> str:
        options = looks[kind]
        return options[(h >> shift) % len(options)]

    if language == "zh":
        who = {"female": "女性", "male": "男性"}.get(gender, "人物")
        return f"{name}，{who}，{pick('age', 0)}，{pick('hair', 8)}，{pick('wear', 16)}"
    who = {"female": "a woman", "male": "a man"}.get(gender, "a person")
    return f"{name}, {who} {pick('age', 0)} with {pick('hair', 8)}, wearing {pick('wear', 16)}"


def narrator_of(specs: Mapping[str, CharacterSpec]) -> str | None:
    """The spec's name for the narrator, when it describes one."""
    return next((name for name in specs if name in NARRATOR_NAMES), None)


MAX_BIO = 200  # characters of a 人物小传 used as a look


def build_character(name: str, spec: CharacterSpec | None, language: str, job_seed: int, bio: str = "") -> Character:
    """A character from its spec entry; whatever the entry leaves out (or all, without one) is derived.
    The script's own bio (人物小传) gives the look when the spec gives none."""
    described = spec is not None
    spec = spec or CharacterSpec()
    gender: Gender = spec.gender or ("neutral" if name in NARRATOR_NAMES else guess_gender(name, language))
    voice, pitch, speed = default_voice(name, language, gender)
    look = f"{name}，{bio}"[:MAX_BIO] if bio else default_appearance(name, language, gender)
    return Character(
        name=name,
        appearance=spec.appearance or look,
        voice=spec.voice or voice,
        pitch=spec.pitch if spec.pitch is not None else pitch,
        speed=spec.speed if spec.speed is not None else speed,
        seed=spec.seed if spec.seed is not None else derive_seed(name, job_seed),
        reference=spec.reference,
        described=described,
    )


def reconcile(
    script: Script, specs: Mapping[str, CharacterSpec], language: str, job_seed: int = 0
) -> tuple[list[Character], list[tuple[str | None, str]]]:
    """Characters in order of appearance, and warnings as (spec name or None, message).

    Script names are matched to spec names exactly, else ignoring case (Fountain cues are upper
    case); the script's spelling is kept so that lines and characters agree.
    """
    by_folded = {name.casefold(): name for name in specs}
    narrator = narrator_of(specs)
    has_narration = any(b.kind == "narration" for ep in script.episodes for s in ep.scenes for b in s.beats)
    names = list(dict.fromkeys([*script.cast, *script.speakers()]))
    # A spec character no cast list names may still appear in the action ("林晚登上城墙").
    action = "\n".join(b.text for ep in script.episodes for s in ep.scenes for b in s.beats if b.kind == "action")
    folded_names = {n.casefold() for n in names}
    names += [
        n
        for n in specs
        if n.casefold() not in folded_names and n not in NARRATOR_NAMES and n.casefold() in action.casefold()
    ]
    characters: list[Character] = []
    warnings: list[tuple[str | None, str]] = []
    used: set[str] = set()
    for name in names:
        spec_name = name if name in specs else by_folded.get(name.casefold())
        if spec_name:
            used.add(spec_name)
        bio = script.series.bios.get(name, "")
        character = build_character(name, specs.get(spec_name) if spec_name else None, language, job_seed, bio)
        if not spec_name:
            warnings.append(
                (
                    None,
                    f"{name} is in the script but not described in the spec's characters; "
                    f"using {'its bio as the look' if bio else 'a default look'} "
                    f"and a default voice ({character.voice})",
                )
            )
        characters.append(character)
    if narrator and has_narration and narrator not in used:
        characters.append(build_character(narrator, specs[narrator], language, job_seed))
        used.add(narrator)
    for name in specs:
        if name not in used:
            why = "has no narration lines" if name in NARRATOR_NAMES else "never appears in the script"
            warnings.append((name, f"{why}; ignored"))
    return characters, warnings
