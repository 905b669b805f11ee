"""The one status vocabulary (protocol.md §16.6) and progress parsing (§16.8)."""

from __future__ import annotations

import pytest

from gateway_core.tasks.status import is_terminal, normalise_status, parse_progress

# Every value listed in protocol.md §16.6, with the state it must map to.
PENDING = ["queued", "pending", "submitted", "SUBMITTED", "QUEUED", "NOT_START", "unknown", "",
           "created", "queueing", "Preparing", "Queueing", "in_queue", "PENDING"]
RUNNING = ["in_progress", "processing", "running", "IN_PROGRESS", "dreaming", "streaming",
           "Processing", "RUNNING", "video_generating"]
SUCCEEDED = ["completed", "succeeded", "success", "succeed", "SUCCESS", "Success", "done",
             "SUCCEEDED", "complete"]
FAILED = ["failed", "failure", "FAILURE", "Fail", "error", "cancelled", "canceled", "CANCELED",
          "CANCEL", "expired", "UNKNOWN"]


@pytest.mark.parametrize("value", PENDING)
def test_pending_values(value: str) -> None:
    assert normalise_status(value) == "pending"


@pytest.mark.parametrize("value", RUNNING)
def test_running_values(value: str) -> None:
    assert normalise_status(value) == "running"


@pytest.mark.parametrize("value", SUCCEEDED)
def test_succeeded_values(value: str) -> None:
    assert normalise_status(value) == "succeeded"
    assert is_terminal(normalise_status(value))


@pytest.mark.parametrize("value", FAILED)
def test_failed_values(value: str) -> None:
    assert normalise_status(value) == "failed"


@pytest.mark.parametrize("value", [
    # §12.6 / §12.7 / §13 values not in the §16.6 summary
    ("video_upsampling", "running"), ("video_upsampling_completed", "succeeded"),
    ("video_generation_failed", "failed"), ("video_upsampling_failed", "failed"),
    ("image_downloading", "pending"), ("MODAL", "running"), ("Success", "succeeded"),
])
def test_provider_specific_values(value: tuple[str, str]) -> None:
    assert normalise_status(value[0]) == value[1]


@pytest.mark.parametrize("value", ["weird_new_state", "整理中", "STAGE_7", 42])
def test_unknown_values_mean_still_running(value: object) -> None:
    assert normalise_status(value) == "running"
    assert not is_terminal(normalise_status(value))


def test_none_is_pending_and_overrides_win() -> None:
    assert normalise_status(None) == "pending"
    # new-api's internal UNKNOWN is not terminal, unlike Ali's
    assert normalise_status("UNKNOWN", {"UNKNOWN": "running"}) == "running"
    assert normalise_status(" In-Progress ") == "running"


@pytest.mark.parametrize(("raw", "expected"), [
    (30, 30), ("30%", 30), ("30.5 %", 30), ("100%", 100), (0, 0), ("0%", 0), (0.3, 30),
    ("76..", 76), (150, 100), (-5, 0), (None, None), ("", None), ("n/a", None), (True, None),
    (float("nan"), None), (12.6, 13),
])
def test_progress(raw: object, expected: int | None) -> None:
    assert parse_progress(raw) == expected
