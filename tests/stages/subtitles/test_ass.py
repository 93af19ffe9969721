import pysubs2

from stages.params import JobContext
from stages.subtitles.ass import AssSubtitles, subtitle_style
from stages.subtitles.escape import ass_escape, ass_plaintext
from stages.timing import episode_layout


def test_events_start_and_end_with_the_measured_speech(subtitles, voices, sample):
    subs = pysubs2.load(str(subtitles.path / "episode.ass"))
    durations = [v.meta["duration"] for v in voices]
    layout = episode_layout([(sample.SHOTS[0]["duration"], durations), (sample.SHOTS[1]["duration"], [])], 12)
    start, _, offsets = layout[0]
    for line, offset, voice in zip(sample.LINES, offsets, voices, strict=True):
        events = [e for e in subs.events if e.name == line["id"]]
        speech_start, speech_end = voice.meta["speech"]
        # ASS stores centiseconds: equal to the speech within 10 ms
        assert abs(events[0].start - (start + offset + speech_start) * 1000) <= 10
        assert abs(events[-1].end - (start + offset + speech_end) * 1000) <= 10
        assert speech_end < voice.meta["duration"] + 1e-6  # not the clip's end: the speech's


def test_line_spans_in_the_meta_match_the_events(subtitles):
    subs = pysubs2.load(str(subtitles.path / "episode.ass"))
    for line_id, start, end in subtitles.meta["lines"]:
        events = [e for e in subs.events if e.name == line_id]
        assert abs(events[0].start - start * 1000) <= 10 and abs(events[-1].end - end * 1000) <= 10


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


def test_style_keeps_inside_the_platforms_safe_area(sample):
    tall = subtitle_style(JobContext.model_validate({**sample.JOB, "platform": "douyin"}))
    wide_job = {**sample.JOB, "width": 320, "height": 180, "aspect": "16:9", "platform": "youtube"}
    wide = subtitle_style(JobContext.model_validate(wide_job))
    assert tall.fontname == "WenQuanYi Micro Hei"
    assert tall.marginv / 320 > wide.marginv / 180  # vertical video keeps clear of the platform's caption
    assert tall.marginr > tall.marginl  # and of the button column on the right


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
