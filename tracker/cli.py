"""The `tracker` command: database, import/export, users and serving.

Light commands (db, import, export) never build the web app, so they work on a database that is
behind the code — which is exactly when `tracker db upgrade` is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from sqlmodel import Session, func, select

from tracker import config as settings
from tracker import migrate
from tracker.db import session_scope


def _url() -> str:
    return settings.database_url()


@click.group()
def main() -> None:
    """Test & Learn Tracker."""


@main.group()
def db() -> None:
    """Create, migrate and inspect the database (TRACKER_DATABASE_URL, default SQLite)."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    migrate.upgrade(_url(), revision)
    click.echo(migrate.schema_status(_url()).describe())


# A relative step such as -2 is a revision, not an option.
@db.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision", default="-1")
def downgrade(revision: str) -> None:
    """Undo migrations back to REVISION (default: one step)."""
    migrate.downgrade(_url(), revision)
    click.echo(migrate.schema_status(_url()).describe())


@db.command()
def current() -> None:
    """Show the database's revision and the code's."""
    status = migrate.schema_status(_url())
    click.echo(status.describe())
    click.echo("up to date" if status.up_to_date else f"behind: run `{migrate.UPGRADE_COMMAND}`")


@db.command()
def check() -> None:
    """Fail unless the database is at the latest revision and matches the models."""
    status = migrate.schema_status(_url())
    if not status.up_to_date:
        raise click.ClickException(f"{status.describe()}; run `{migrate.UPGRADE_COMMAND}`")
    differences = migrate.drift(_url())
    if differences:
        for difference in differences:
            click.echo(f"  {difference}", err=True)
        raise click.ClickException("the models and the migrated schema differ")
    click.echo("database is up to date and matches the models")


@main.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--if-empty", is_flag=True, help="Import only when the database holds no policy yet.")
@click.option(
    "--analyse",
    "analyse_after",
    is_flag=True,
    help="Then run and store the analysis of every imported pilot that has results.",
)
def import_command(path: Path, if_empty: bool, analyse_after: bool) -> None:
    """Import portfolio files (a .yaml file or a directory of them), all or nothing.

    With --analyse the results pages of the imported pilots have a stored run to show at once;
    the runs are written in the import's transaction, so they land with it or not at all.
    """
    from tracker.io.importer import import_path
    from tracker.io.problems import PortfolioError
    from tracker.models import Policy

    migrate.ensure_up_to_date(_url())
    try:
        with session_scope(_url()) as session:
            if if_empty and session.exec(select(func.count()).select_from(Policy)).one():
                click.echo("The database already holds policies; nothing imported.")
                return
            report = import_path(session=session, path=path, actor_label=f"import {path}")
            analysed = _analyse_imported(session, report.pilot_slugs) if analyse_after else []
    except PortfolioError as error:
        click.echo(f"Nothing was imported. {error}", err=True)
        sys.exit(1)
    click.echo(report.summary())
    if analyse_after:
        click.echo(
            f"Analysed {len(analysed)} pilot(s): {', '.join(analysed) or 'none had results'}."
        )


def _analyse_imported(session: Session, pilot_slugs: list[str]) -> list[str]:
    """Run and store the analysis of each pilot that has at least one recorded result."""
    from tracker.services.actors import Actor
    from tracker.services.analysis import pilot_has_results, run_analysis

    actor = Actor.system("import --analyse")
    analysed = []
    for slug in pilot_slugs:
        if pilot_has_results(session=session, pilot_slug=slug):
            run_analysis(session=session, actor=actor, pilot_slug=slug)
            analysed.append(slug)
    return analysed


@main.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(directory: Path) -> None:
    """Write every policy as a portfolio file (<slug>.yaml) into DIRECTORY."""
    from tracker.io.exporter import export_directory

    migrate.ensure_up_to_date(_url())
    with session_scope(_url()) as session:
        written = export_directory(session=session, directory=directory)
    click.echo(f"Wrote {len(written)} file(s) to {directory}")


def _number(value: float | None, places: int = 4) -> str:
    return "—" if value is None else f"{value:.{places}g}"


def _comparison_table(rows: list[dict[str, object]]) -> str:
    """Comparisons as a fixed-width text table, one line each, widest columns last."""
    header = (
        "metric",
        "v",
        "arm",
        "baseline",
        "method",
        "estimate",
        "95% CI",
        "p",
        "p adj",
        "lift",
        "n",
        "health",
        "kind",
    )
    lines = [header]
    for row in rows:
        low, high = row["ci_low"], row["ci_high"]
        lift = row["relative_lift"]
        lines.append(
            (
                str(row["metric"]),
                "" if row["iteration"] is None else f"v{row['iteration']}",
                str(row["arm"]),
                str(row["baseline"]),
                str(row["method"]),
                _number(row["estimate"]),  # type: ignore[arg-type]
                f"{_number(low)} to {_number(high)}",  # type: ignore[arg-type]
                _number(row["p_value"], 3),  # type: ignore[arg-type]
                _number(row["p_adjusted"], 3),  # type: ignore[arg-type]
                "—" if lift is None else f"{100 * lift:+.1f}%",  # type: ignore[operator]
                "/".join(f"{n:.0f}" for n in row["n"] if n is not None),  # type: ignore[attr-defined]
                ",".join(h["code"] for h in row["health"]) or "ok",  # type: ignore[attr-defined]
                "exploratory" if row["exploratory"] else "confirmatory",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


@main.command("analyse")
@click.argument("pilot")
@click.option("--iteration", type=int, help="Only this iteration (no across-iteration tests).")
@click.option("--json", "as_json", is_flag=True, help="Print the stored run as JSON.")
def analyse(pilot: str, iteration: int | None, as_json: bool) -> None:
    """Run and store every comparison of PILOT (a pilot slug); print them."""
    import json

    from tracker.services.actors import Actor
    from tracker.services.analysis import run_analysis, run_document
    from tracker.services.errors import ServiceError

    migrate.ensure_up_to_date(_url())
    try:
        with session_scope(_url()) as session:
            run = run_analysis(
                session=session,
                actor=Actor.system("analyse command"),
                pilot_slug=pilot,
                iteration=iteration,
            )
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        document = run_document(run, pilot)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(_comparison_table(run.rows))
    click.echo(
        f"\nRun {run.id}: inputs SHA-256 {run.inputs_hash}; "
        f"plan {run.plan_hash or 'none locked: every result is exploratory'}"
    )


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="The name shown in the app.")
@click.option(
    "--role",
    type=click.Choice(["viewer", "editor", "analyst", "admin"]),
    default="viewer",
    show_default=True,
)
@click.password_option(help="At least 12 characters; asked for when not given.")
def create_user(email: str, display_name: str, role: str, password: str) -> None:
    """Add a user (the first admin is made this way)."""
    from tracker.services.actors import Actor
    from tracker.services.errors import ServiceError
    from tracker.services.users import create_user as create

    migrate.ensure_up_to_date(_url())
    try:
        with session_scope(_url()) as session:
            user = create(
                session=session,
                actor=Actor.system("create-user command"),
                data={"email": email, "display_name": display_name, "role": role},
                password=password,
            )
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} with the {user.role.value} role")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn workers.")
@click.option("--debug", is_flag=True, help="Flask's reloading debug server instead of gunicorn.")
def serve(host: str, port: int, workers: int, debug: bool) -> None:
    """Serve the web app with gunicorn (refuses a database that is behind the code)."""
    try:
        migrate.ensure_up_to_date(_url())
    except migrate.SchemaOutOfDate as error:
        raise click.ClickException(str(error)) from None
    if debug:
        from tracker import create_app

        create_app().run(host=host, port=port, debug=True)
        return
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # No control socket: a second instance would silently take over the first one's.
    arguments = ["--bind", f"{host}:{port}", "--workers", str(workers), "--no-control-socket"]
    os.execv(gunicorn, [str(gunicorn), *arguments, "tracker:create_app()"])  # noqa: S606


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_SECONDS = 120


def _chromium() -> str | None:
    """Headless Chromium: TRACKER_CHROMIUM, /usr/bin/chromium, or the first Chrome on PATH."""
    import shutil

    named = os.environ.get("TRACKER_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def _print_pdf(chromium: str, html_file: Path, pdf: Path) -> None:
    """Print a local HTML file to PDF with headless Chromium, the way the print preview would.

    The virtual time budget lets plotly draw the chart before the page is printed; a throwaway
    profile keeps a running browser's profile (and its lock) out of it.
    """
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tracker-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=5000",
            f"--print-to-pdf={pdf}",
            html_file.resolve().as_uri(),
        ]
        done = subprocess.run(  # noqa: S603  (a fixed program and our own file's URL)
            command, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False
        )
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise click.ClickException(
            f"Chromium could not print the report (exit {done.returncode}): "
            f"{done.stderr.strip()[-500:]}"
        )


@main.command("report")
@click.argument("pilot")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), help="Write a PDF here.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report as one self-contained HTML file here.",
)
def report(pilot: str, pdf: Path | None, html_path: Path | None) -> None:
    """Write the one-page report of PILOT (a pilot slug) as a PDF or a standalone HTML file.

    The PDF is printed by headless Chromium; where there is none, the HTML is written instead
    (next to the PDF's path unless --html says where), to print from any browser.
    """
    import tempfile

    from tracker import create_app
    from tracker.services.errors import NotFound
    from tracker.web.reports import standalone_report

    if pdf is None and html_path is None:
        raise click.UsageError("Say where to write the report: --pdf FILE and/or --html FILE.")
    try:
        migrate.ensure_up_to_date(_url())
    except migrate.SchemaOutOfDate as error:
        raise click.ClickException(str(error)) from None
    try:
        page = standalone_report(create_app(), pilot)
    except NotFound:
        raise click.ClickException(f"There is no pilot with the slug {pilot!r}.") from None
    if html_path is not None:
        html_path.write_text(page, encoding="utf-8")
        click.echo(f"Wrote the report of {pilot} as HTML to {html_path}")
    if pdf is None:
        return
    chromium = _chromium()
    if chromium is None:
        fallback = html_path or pdf.with_suffix(".html")
        if html_path is None:
            fallback.write_text(page, encoding="utf-8")
        click.echo(
            f"No Chromium was found (install it, or set TRACKER_CHROMIUM), so no PDF was made. "
            f"The report is in {fallback}: open it in a browser and print it to PDF."
        )
        return
    with tempfile.TemporaryDirectory(prefix="tracker-report-") as folder:
        page_file = Path(folder) / f"{pilot}.html"
        page_file.write_text(page, encoding="utf-8")
        _print_pdf(chromium, page_file, pdf.resolve())
    click.echo(f"Wrote the report of {pilot} as PDF to {pdf}")


if __name__ == "__main__":
    main()
