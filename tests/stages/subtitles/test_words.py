"""jieba's dictionary on disk: the same cuts as jieba's own, from a file built once."""

import threading
import time
from pathlib import Path

import jieba
import pytest

from stages.subtitles import words
from stages.subtitles.words import dictionary_file, disk_cutter, disk_dictionary

REPO = Path(__file__).resolve().parents[3]
MIXED = [
    "郑老师，这块残片上的颜料，和第十二窟的一模一样。这句台词是后来改写的，比原来长了不少。",
    "他说 OK 了，2024年3月我们在Datong见过一次！",
    "「你确定？」那个窟的彩绘，一千五百年没人碰过……",
    "",
]


def example_lines() -> list[str]:
    """Every line of the example scripts: text nothing here was written to pass."""
    lines = []
    for script in sorted((REPO / "examples").glob("*/*.txt")):
        lines += [line.strip() for line in script.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def test_the_same_cuts_as_jieba_on_its_own_dictionary():
    cut = disk_cutter(disk_dictionary(dictionary_file()))
    jieba.initialize()
    texts = example_lines() + MIXED
    assert len(texts) > 50
    for text in texts:
        assert cut(text) == list(jieba.cut(text, HMM=False)), text


@pytest.fixture
def small_dictionary(tmp_path: Path) -> Path:
    path = tmp_path / "dict.txt"
    path.write_text("残片 50 n\n颜料 40 n\n一模一样 30 i\n一模 2 n\n第十二 10 m\n老师 80 n\n", encoding="utf-8")
    return path


def test_built_once_and_named_by_content(small_dictionary: Path, tmp_path: Path):
    first = disk_dictionary(small_dictionary, tmp_path)
    made = first.stat().st_mtime_ns
    assert disk_dictionary(small_dictionary, tmp_path) == first and first.stat().st_mtime_ns == made
    small_dictionary.write_text("残片 50 n\n", encoding="utf-8")
    assert disk_dictionary(small_dictionary, tmp_path) != first  # another dictionary, another file
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_a_custom_dictionary_cuts_as_jieba_does_with_it(small_dictionary: Path, tmp_path: Path):
    cut = disk_cutter(disk_dictionary(small_dictionary, tmp_path))
    reference = jieba.Tokenizer(str(small_dictionary))
    reference.tmp_dir = str(tmp_path)
    for text in MIXED:
        assert cut(text) == list(reference.cut(text, HMM=False))
    assert cut("老师的残片和颜料一模一样") == ["老师", "的", "残片", "和", "颜料", "一模一样"]


def test_workers_that_start_together_build_it_once(small_dictionary: Path, tmp_path: Path, monkeypatch):
    builds, real_build = [], words.build

    def slow_build(source: Path, path: Path) -> None:
        builds.append(path)
        time.sleep(0.3)  # long enough that every other worker arrives while this one builds
        real_build(source, path)

    monkeypatch.setattr(words, "build", slow_build)
    found: list[Path] = []

    def worker_start() -> None:
        found.append(disk_dictionary(small_dictionary, tmp_path))

    workers = [threading.Thread(target=worker_start) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(builds) == 1 and len(set(found)) == 1 and len(found) == 4
    assert disk_cutter(found[0])("老师的残片") == ["老师", "的", "残片"]
