"""`published` is a policy field like any other: the web forms, the policy page, portfolio files."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from tests.conftest import signed_in_client
from tests.test_web_policy_forms import NEW_POLICY
from tests.web_helpers import app_session, post_form
from tracker.db import get_engine
from tracker.io import yamlfile
from tracker.io.exporter import export_directory
from tracker.io.importer import import_path
from tracker.io.problems import PortfolioError
from tracker.models.enums import Role
from tracker.services import policies

from .portfolio_helpers import minimal

HINT = "The web pages still need sign-in."


def _published(app: Flask, slug: str = "free-school-meals") -> bool:
    with app_session(app) as session:
        return policies.get_policy(session=session, slug=slug).published


def test_the_policy_forms_publish_and_unpublish(app: Flask) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    form = editor.get("/policies/new").get_data(as_text=True)
    assert "Publish this policy" in form and HINT in form
    assert post_form(editor, "/policies/new", {**NEW_POLICY, "published": "y"}).status_code == 303
    assert _published(app)
    page = editor.get("/policies/free-school-meals").get_data(as_text=True)
    assert "Published: anyone may read it" in page

    edit = editor.get("/policies/free-school-meals/edit").get_data(as_text=True)
    checkbox = edit[edit.index('name="published"') - 200 : edit.index('name="published"') + 200]
    assert "checked" in checkbox
    unpublish = {
        key: value for key, value in NEW_POLICY.items() if key not in ("slug", "published")
    }
    saved = post_form(editor, "/policies/free-school-meals/edit", {**unpublish, "version": "1"})
    assert saved.status_code == 303
    assert not _published(app)
    page = editor.get("/policies/free-school-meals").get_data(as_text=True)
    assert "Not published: only signed-in people and API tokens can read it." in page


def _import(url: str, path: Path) -> None:
    with Session(get_engine(url)) as session:
        import_path(session=session, path=path)
        session.commit()


def _published_in_export(url: str, directory: Path) -> bool:
    with Session(get_engine(url)) as session:
        [path] = export_directory(session=session, directory=directory)
    published = yamlfile.load(path.read_text(encoding="utf-8"))[0]["policies"][0]["published"]
    assert isinstance(published, bool)
    return published


@pytest.mark.parametrize("given", [True, False, None])
def test_portfolio_files_carry_published_losslessly(
    migrated_url: str, tmp_path: Path, given: bool | None
) -> None:
    document = minimal()
    if given is not None:
        document["policies"][0]["published"] = given
    source = tmp_path / "in.yaml"
    source.write_text(yamlfile.dump(document), encoding="utf-8")
    _import(migrated_url, source)
    assert _published_in_export(migrated_url, tmp_path / "out") is bool(given)


def test_published_must_be_true_or_false(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    document["policies"][0]["published"] = "yes"
    source = tmp_path / "in.yaml"
    source.write_text(yamlfile.dump(document), encoding="utf-8")
    with pytest.raises(PortfolioError, match="published"):
        _import(migrated_url, source)


def test_the_real_trials_are_published_and_the_illustrative_one_is_not(example_app: Flask) -> None:
    with app_session(example_app) as session:
        found = {
            p.slug: (p.illustrative, p.published) for p in policies.list_policies(session=session)
        }
    assert set(found.values()) == {(False, True), (True, False)}
    assert sum(published for _, published in found.values()) == len(found) - 1
