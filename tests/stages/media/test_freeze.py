"""freezedetect's log read as frozen runs in the shot's own time."""

from stages.media.freeze import frozen_spans

LOG = """[freezedetect @ 0x55] lavfi.freezedetect.freeze_start: 0.5
[freezedetect @ 0x55] lavfi.freezedetect.freeze_duration: 1.25
[freezedetect @ 0x55] lavfi.freezedetect.freeze_end: 1.75
[freezedetect @ 0x55] lavfi.freezedetect.freeze_start: 2.5
"""


def test_runs_are_read_and_one_open_at_the_end_lasts_to_the_end():
    assert frozen_spans(LOG, 48, 12) == [[0.5, 1.75], [2.5, 4.0]]
    assert frozen_spans(b"", 48, 12) == []
