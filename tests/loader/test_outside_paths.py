"""A path that leaves the project is refused by its spelling, before the file system is asked: a missing
`../nowhere.csv` says "outside", never "No such file" (which would tell whether files outside exist)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.loader.files import OUTSIDE, Refused, resolve_inside


@pytest.mark.parametrize(("base", "written"), [
    (".", "../nowhere.csv"),
    ("desired", "../../nowhere.csv"),
    ("desired", "lists/../../../nowhere.csv"),
    (".", "../project/../nowhere.csv"),
])
def test_a_missing_file_outside_is_refused_as_outside(tmp_path: Path, base: str, written: str) -> None:
    root = tmp_path / "project"
    (root / "desired").mkdir(parents=True)
    with pytest.raises(Refused) as caught:
        resolve_inside(root, root / base, written)
    assert caught.value.reason == OUTSIDE and not caught.value.missing
    assert "No such file" not in str(caught.value)


def test_an_existing_file_outside_is_refused_alike(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "secret.csv").write_text("email,name\n", encoding="utf-8")
    with pytest.raises(Refused) as caught:
        resolve_inside(root, root, "../secret.csv")
    assert caught.value.reason == OUTSIDE


def test_a_missing_file_inside_says_so(tmp_path: Path) -> None:
    with pytest.raises(Refused) as caught:
        resolve_inside(tmp_path, tmp_path, "desired/../nowhere.csv")
    assert caught.value.missing and "No such file" in caught.value.reason
