import pysubs2

from stages.params import JobContext
from stages.subtitles.ass import AssSubtitles, subtitle_style, timed_chunks
from stages.subtitles.escape import ass_escape, ass_plaintext
from stages.timing import episode_layout


def test_events_start_at_the_voice_offsets(subtitles, voices, sample):
    subs = pysubs2.load(str(subtitles.path / "episode.ass"))
    durations = [v.meta["duration"] for v in voices]
    layout = episode_layout([(sample.SHOTS[0]["duration"], durations), (sample.SHOTS[1]["duration"], [])])
    start, _, offsets = layout[0]
    firsts = {}
    for event in subs.events:
        firsts.setdefault(event.name, event)
    for line, offset, duration in zip(sample.LINES, offsets, durations, strict=True):
        # ASS stores centiseconds: equal to the layout within 10 ms
        assert abs(firsts[line["id"]].start - (start + offset) * 1000) <= 10
        last = [e for e in subs.events if e.name == line["id"]][-1]
        assert abs(last.end - (start + offset + duration) * 1000) <= 10


def test_text_renders_literally(subtitles, sample):
    subs = pysubs2.load(str(subtitles.path / "episode.ass"))
    shown = "".join(ass_plaintext(e.text).replace("\n", "") for e in subs.events)
    assert "-{\\b1}回来。" in shown
    srt = (subtitles.path / "episode.srt").read_text(encoding="utf-8")
    assert "-{\\b1}回来。" in srt


def test_escape_round_trips_tricky_text():
    for text in ["{\\b1}bold", "C:\\New\\n \\h", "a}b{c", "\\", "x\\N", "\\{"]:
        assert ass_plaintext(ass_escape(text)) == text
        assert "{" not in ass_escape(text).replace("\\{", "")


def test_long_line_is_split_into_timed_events():
    chunks = timed_chunks("林晚" * 40, 1000, 4000, 20)  # 160 columns: 8 rows of 20, 2 rows per event
    assert [len(rows) for _, _, rows in chunks] == [2, 2, 2, 2]
    assert [(start, end) for start, end, _ in chunks] == [(s, s + 1000) for s in (1000, 2000, 3000, 4000)]


def test_style_follows_aspect(sample):
    tall = subtitle_style(JobContext.model_validate(sample.JOB))
    wide_job = {**sample.JOB, "width": 320, "height": 180, "aspect": "16:9"}
    wide = subtitle_style(JobContext.model_validate(wide_job))
    assert tall.fontname == "WenQuanYi Micro Hei"
    assert tall.marginv / 320 > wide.marginv / 180  # vertical video keeps clear of the platform's buttons


def test_speaker_names_option(stage_run, voices, sample, tmp_path):
    shots = [{"id": s["id"], "duration": s["duration"], "lines": s["lines"]} for s in sample.SHOTS]
    art = stage_run(
        AssSubtitles({"speaker_names": True}),
        {"job": sample.JOB, "episode": sample.EPISODE, "shots": shots},
        {"voices": voices},
        tmp_path,
    )
    subs = pysubs2.load(str(art.path / "episode.ass"))
    assert ass_plaintext(subs.events[0].text).startswith("林晚：")
