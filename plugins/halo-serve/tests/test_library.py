"""Video ids and stages, from folders on disk; the token guard's invariant on a real server."""

from __future__ import annotations

import json
import re
import string
import tempfile
from pathlib import Path

import pytest
from conftest import SECRET, copy_run, http
from halo_serve.library import RunFolders
from halo_serve.loader import read_run
from halo_serve.views import answer_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

URL_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")

names = st.text(
    alphabet=string.ascii_letters + string.digits + " ._-+&%#?é", min_size=1, max_size=12
).filter(lambda n: not n.startswith(".") and n.strip() == n and n)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(names, names), min_size=1, max_size=6, unique=True))
def test_every_run_folder_gets_a_unique_url_safe_stable_id(folders: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for spec, stem in folders:
            run = root / spec / stem
            run.mkdir(parents=True, exist_ok=True)
            (run / "run.json").write_text("{}")
        library = RunFolders(root)
        videos = library.videos()
        ids = [v.id for v in videos]
        assert len(ids) == len(set(ids)) == len({(s, n) for s, n in folders})
        assert all(URL_SAFE.match(i) and i not in (".", "..") for i in ids)
        assert [v.id for v in library.videos()] == ids  # stable across scans
        for video in videos:
            assert library.find(video.id) == video
            assert video.folder.parent.parent == root


def test_hidden_folders_and_plain_folders_are_not_videos(tmp_path: Path) -> None:
    (tmp_path / ".halo" / "artifacts").mkdir(parents=True)
    (tmp_path / ".halo" / "run.json").write_text("{}")
    (tmp_path / "notes").mkdir()
    (tmp_path / "spec" / "a" / "index").mkdir(parents=True)
    (tmp_path / "spec" / "a" / "chunks.json").write_text("{}")
    assert [v.id for v in RunFolders(tmp_path).videos()] == ["spec--a"]


def test_stages_leave_out_the_tasks_the_spec_does_not_ask_for(runs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    copy_run(runs / "clips" / "tone", folder, ["timeline.json", "chunks.json", "run.json"])
    copy_run(runs / "clips" / "tone", folder, ["index/stage.json"])
    record = json.loads((folder / "run.json").read_text())
    record["spec"]["tasks"] = {"summarize": False, "notes": True, "ask": []}
    record["questions"] = []
    (folder / "run.json").write_text(json.dumps(record))
    stages = read_run(folder).stages
    assert [(s.name, s.done) for s in stages] == [
        ("extract", True),
        ("chunk", True),
        ("index", True),
        ("report", False),
    ]
    # questions of the input's own (a sidecar, --ask) are an ask stage the spec does not name
    record["questions"] = ["Who is speaking?"]
    (folder / "run.json").write_text(json.dumps(record))
    assert "ask" in [s.name for s in read_run(folder).stages]


def test_answers_are_drawn_without_the_labels_the_core_appends(runs: Path) -> None:
    [answer] = read_run(runs / "clips" / "talk").answers
    assert answer.citations and answer.answer.endswith("]")
    text = answer_text(answer)
    assert text and not text.endswith("]") and answer.answer.startswith(text)
    unlabelled = answer.model_copy(update={"answer": "No label here."})
    assert answer_text(unlabelled) == "No label here."


TOKEN = "a-token-for-the-property-test"


def test_no_other_token_opens_the_server(runs: Path, serve) -> None:
    base = serve(runs / "clips" / "tone", "--token", TOKEN)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(alphabet=string.ascii_letters + string.digits + "._~-", max_size=40))
    def check(guess: str) -> None:
        status = http(base, "/api/videos", headers={"Authorization": f"Bearer {guess}"})[0]
        assert status == (200 if guess == TOKEN else 401)

    check()
    for near in (TOKEN[:-1], TOKEN + "x", TOKEN.upper(), f" {TOKEN}x"):
        assert http(base, "/api/videos", headers={"Authorization": f"Bearer {near}"})[0] == 401
    assert http(base, "/api/videos", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200


def test_a_halo_library_is_served_as_its_catalog(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from halo_serve.library import CatalogVideos, library_at

    from halo_core import open_library

    monkeypatch.setenv("SERVE_SECRET", SECRET)  # the runs' spec reads it
    lib = tmp_path / "lib"
    with open_library(lib) as opened:
        for folder in sorted((runs / "clips").iterdir()):
            if (folder / "report.json").is_file():  # the finished runs (other tests add files)
                opened.add(folder)
        ids = [v.id for v in opened.videos()]
    served = library_at(lib)
    assert isinstance(served, CatalogVideos)
    assert [v.id for v in served.videos()] == ids == ["talk", "tone"]
    assert all(URL_SAFE.match(i) for i in ids)
    found = served.find("tone")
    assert found is not None and read_run(found.folder).finished
    assert served.find("../etc") is None
