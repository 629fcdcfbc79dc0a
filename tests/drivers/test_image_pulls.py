"""Background image pulls (issue 16, item 5): one per engine and image in a process, their
progress read from the engine's stream, an ended pull handed back once then forgotten."""

from __future__ import annotations

from pathlib import Path

from cumulo.drivers.docker.image_pulls import Pull, Pulls, split_reference


def test_progress_sums_the_layers_the_engine_reported() -> None:
    pull = Pull("r/x:1")
    assert pull.progress() == "starting"
    for event in (
        {"status": "Pulling from r/x", "id": "1"},
        {"status": "Pulling fs layer", "id": "a"},
        {"status": "Downloading", "id": "a", "progressDetail": {"current": 2e6, "total": 5e6}},
        {"status": "Downloading", "id": "b", "progressDetail": {"current": 1e6, "total": 3e6}},
        {"status": "Already exists", "id": "c"},
    ):
        pull.heard(event)
    assert pull.progress() == "3 of 8 MB"
    pull.heard({"status": "Download complete", "id": "a"})
    pull.heard({"status": "Pull complete", "id": "b"})
    assert pull.progress() == "8 of 8 MB"


def test_a_reference_splits_as_the_engines_pull_wants_it() -> None:
    assert split_reference("127.0.0.1:5000/cumulo/vm:12") == ("127.0.0.1:5000/cumulo/vm", "12")
    assert split_reference("127.0.0.1:5000/cumulo/vm") == ("127.0.0.1:5000/cumulo/vm", "latest")
    assert split_reference("r/x@sha256:ab") == ("r/x", "sha256:ab")


def test_one_pull_per_image_its_failure_told_once_then_tried_again(tmp_path: Path) -> None:
    pulls, endpoint = Pulls(), f"unix://{tmp_path}/no-engine.sock"
    assert pulls.look(endpoint, "r/x:1", lambda: True) is None  # there already: no pull
    first = pulls.look(endpoint, "r/x:1", lambda: False)
    assert first is not None and first.done.wait(30)
    assert first.error is not None and "did not answer" in first.error, first.error
    assert pulls.look(endpoint, "r/x:1", lambda: False) is first  # its failure, once
    again = pulls.look(endpoint, "r/x:1", lambda: False)
    assert again is not None and again is not first  # forgotten: started anew
    assert again.done.wait(30)
