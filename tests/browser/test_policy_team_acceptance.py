"""Issue 4's first acceptance line, as a new user would do it in the browser.

The admin signs in, adds an editor and signs out; the new editor signs in with the password the
admin gave them and records a new policy (with its first stage decision), two user needs, a
hypothesis, a pilot, two iterations of two arms each and a decision on one iteration, and records
a stage decision through the check-answers page. Then every edit form is opened again and must
show exactly what was typed, and the policy and pilot pages must show it.

Only the sign-in page is opened by its address; everything else is done by following links,
pressing buttons and filling fields by their labels. No page on the way may show an error
summary, and axe-core checks every page (tests/browser/conftest.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import click_and_wait, sign_in
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

EDITOR_EMAIL = "new.editor@example.gov.uk"
EDITOR_NAME = "Priya Shah"
EDITOR_PASSWORD = "warm-homes-kettle-7"

SLUG = "warm-homes-advice-text"
POLICY = {
    "Title": "Warm homes advice by text message",
    "Team": "Net Zero Homes Team",
    "Problem statement": "Households on low incomes do not know about insulation grants.\n\n"
    "Many who qualify never apply.",
    "Tags": "energy\nhousing\ngrants",
}
THEORY = {
    "Inputs": "Two advisers\nText message budget",
    "Activities": "Send tailored texts\nOffer a call back",
    "Outputs": "Texts delivered",
    "Outcomes": "More grant applications\nWarmer homes",
    "Impact": "Fewer cold-related illnesses",
    "Assumptions": "Phone numbers are up to date",
}
FIRST_DECISION = {
    "Reason for starting past the idea stage": "User research was done by the previous team.",
    "Rationale": "We already know the problem is real.",
    "Evidence": "Discovery report 2024\nGrant take-up data",
    "Decided by": "Programme board",
}
FIRST_DECISION_DATE = ("3", "2", "2025")

STAGE_DECISION = {
    "Rationale": "Alpha prototypes are ready to test.",
    "Evidence": "Prototype research notes",
    "Decided by": "Service owner",
}
STAGE_DECISION_CHANGED = "Prototypes tested well with eight households."
STAGE_DECISION_DATE = ("14", "4", "2025")


@dataclass(frozen=True)
class Need:
    key: str
    as_a: str
    i_need: str
    so_that: str
    evidence: str


NEEDS = (
    Need(
        "know-grants-exist",
        "tenant in a cold home",
        "to know which grants I can get",
        "I can keep my home warm",
        "Interviews with 12 tenants",
    ),
    Need(
        "apply-by-phone",
        "person without internet access",
        "to apply by phone",
        "I do not miss out",
        "Contact centre call logs",
    ),
)
HYPOTHESIS = {
    "Key": "texts-raise-applications",
    "We believe that …": "a tailored text message",
    "for …": "households that qualify for a grant",
    "will …": "raise grant applications",
}
HYPOTHESIS_STATUS = "Testing – a pilot is testing it now"

PILOT_SLUG = "warm-homes-text-pilot"
PILOT_TEXT = {
    "Title": "Warm homes text pilot",
    "Short name for web addresses": PILOT_SLUG,
    "Unit of randomisation": "Household",
    "Population": "Households in council tax bands A and B\nwith a mobile number",
    "Place": "Leeds City Council",
    "Planned sample size": "4000",
    "Source": "Warm homes trial protocol, 2025",
    "Source web address": "https://www.gov.uk/research/warm-homes",
}
PILOT_RADIOS = {
    "Design": "Cluster randomised controlled trial",
    "Evaluation type": "Process – was it delivered as intended",
    "Evidence strength": "Level 5 – random assignment (a randomised controlled trial)",
    "Status": "Running",
}
PILOT_DATES = {"Planned start date": ("1", "5", "2025"), "Planned end date": ("31", "10", "2025")}


@dataclass(frozen=True)
class Iteration:
    number: str
    title: str
    what_changed: str
    why: str
    start: tuple[str, str, str]
    end: tuple[str, str, str]
    status: str
    arms: tuple[tuple[str, str, str, bool], ...]  # name, description, share, control


ITERATIONS = (
    Iteration(
        "1",
        "First text",
        "We sent one text about grants.",
        "To see whether a text prompts anyone to apply.",
        ("1", "5", "2025"),
        ("30", "6", "2025"),
        "Complete",
        (
            ("No text", "Business as usual.", "50", True),
            ("Grant text", "One text with a link.", "50", False),
        ),
    ),
    Iteration(
        "2",
        "Text with a call back",
        "We added an offer of a call back.",
        "People told us they wanted to talk to someone.",
        ("1", "8", "2025"),
        ("31", "10", "2025"),
        "Running",
        (
            ("Grant text", "One text with a link.", "40", True),
            ("Text and call", "A text offering a call back.", "60", False),
        ),
    ),
)

DECISION_OUTCOME = "Adapt"
DECISION = {
    "Why did you decide this?": "Applications rose a little, and people asked to talk.",
    "Who decided": "Pilot steering group",
}
DECISION_DATE = ("7", "7", "2025")


def go(page: Page, target: Locator) -> None:
    """Follow a link or press a button, and check the page it loads shows no error."""
    click_and_wait(page, target)
    assert page.locator(".govuk-error-summary").count() == 0, (
        f"{page.url} shows errors: {page.locator('.govuk-error-summary').inner_text()}"
    )
    assert not page.title().startswith("Error"), f"{page.url}: {page.title()}"


def link(page: Page, name: str | re.Pattern[str]) -> Locator:
    return page.locator("main").get_by_role("link", name=name, exact=True)


def fill_date(page: Page, legend: str, date: tuple[str, str, str]) -> None:
    group = page.get_by_role("group", name=legend, exact=True)
    for part, value in zip(("Day", "Month", "Year"), date, strict=True):
        group.get_by_label(part, exact=True).fill(value)


def expect_date(page: Page, legend: str, date: tuple[str, str, str]) -> None:
    """The date's three boxes hold what was typed (a saved date shows 1 as 01)."""
    group = page.get_by_role("group", name=legend, exact=True)
    for part, value in zip(("Day", "Month", "Year"), date, strict=True):
        expect(group.get_by_label(part, exact=True)).to_have_value(re.compile(rf"^0?{value}$"))


def fill_fields(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.get_by_label(name, exact=True).fill(value)


def expect_fields(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        expect(page.get_by_label(name, exact=True)).to_have_value(value)


def radio(page: Page, legend: str, option: str) -> Locator:
    return page.get_by_role("group", name=legend, exact=True).get_by_label(option, exact=True)


def expect_only_checked(page: Page, legend: str, option: str, *, exact: bool = True) -> None:
    """`option` is the one radio (or checkbox) of the group that is ticked."""
    group = page.get_by_role("group", name=legend, exact=True)
    expect(group.get_by_label(option, exact=exact)).to_be_checked()
    expect(group.locator("input:checked")).to_have_count(1)


def admin_adds_the_editor(page: Page, base_url: str) -> None:
    sign_in(page, base_url, Role.ADMIN)
    go(page, page.get_by_role("link", name="Users", exact=True))
    go(page, page.get_by_role("button", name="Add a user"))
    fill_fields(page, {"Email address": EDITOR_EMAIL, "Name": EDITOR_NAME})
    page.get_by_label("Editor – policy team", exact=False).check()
    page.get_by_label("Initial password", exact=True).fill(EDITOR_PASSWORD)
    go(page, page.get_by_role("button", name="Add user"))
    expect(page.locator("main")).to_contain_text(EDITOR_EMAIL)
    go(page, page.get_by_role("button", name="Sign out"))


def editor_signs_in(page: Page) -> None:
    page.get_by_label("Email address").fill(EDITOR_EMAIL)
    page.get_by_role("textbox", name="Password").fill(EDITOR_PASSWORD)
    go(page, page.get_by_role("button", name="Sign in"))
    expect(page.get_by_text(f"Signed in as {EDITOR_NAME} ({EDITOR_EMAIL})")).to_have_count(1)


def add_policy(page: Page) -> None:
    go(page, page.get_by_role("button", name="Add a policy"))
    fill_fields(page, {**POLICY, "Short name for web addresses": SLUG})
    page.get_by_label("This is an illustrative example", exact=True).check()
    fill_fields(page, THEORY)
    radio(page, "What stage is the policy at now?", "Discovery").check()
    fill_fields(page, FIRST_DECISION)
    fill_date(page, "Date of the decision", FIRST_DECISION_DATE)
    go(page, page.get_by_role("button", name="Add policy"))
    assert urlsplit(page.url).path == f"/policies/{SLUG}"


def add_need(page: Page, need: Need) -> None:
    go(page, link(page, "Add a user need"))
    fill_need(page, need, with_key=True)
    go(page, page.get_by_role("button", name="Save user need"))


def fill_need(page: Page, need: Need, *, with_key: bool) -> None:
    if with_key:
        page.get_by_label("Key", exact=True).fill(need.key)
    fill_fields(page, need_fields(need))


def need_fields(need: Need) -> dict[str, str]:
    return {
        "As a …": need.as_a,
        "I need …": need.i_need,
        "so that …": need.so_that,
        "Evidence source (optional)": need.evidence,
    }


def add_hypothesis(page: Page) -> None:
    go(page, link(page, "Add a hypothesis"))
    fill_fields(page, HYPOTHESIS)
    radio(page, "Status", HYPOTHESIS_STATUS).check()
    go(page, page.get_by_role("button", name="Save hypothesis"))


def record_stage_decision(page: Page) -> None:
    go(page, page.get_by_role("button", name="Record a stage decision"))
    radio(page, "Which stage is the policy moving to?", "Alpha").check()
    fill_fields(page, STAGE_DECISION)
    fill_date(page, "Date of the decision", STAGE_DECISION_DATE)
    go(page, page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before recording the stage decision"
    )
    answers = page.locator(".govuk-summary-list")
    expect(answers).to_contain_text(STAGE_DECISION["Rationale"])
    # Change one answer: the form comes back with every answer kept.
    go(page, page.get_by_role("button", name="Change rationale"))
    expect_fields(page, STAGE_DECISION)
    expect_only_checked(page, "Which stage is the policy moving to?", "Alpha")
    expect_date(page, "Date of the decision", STAGE_DECISION_DATE)
    page.get_by_label("Rationale", exact=True).fill(STAGE_DECISION_CHANGED)
    go(page, page.get_by_role("button", name="Continue"))
    expect(answers).to_contain_text(STAGE_DECISION_CHANGED)
    expect(answers).to_contain_text("14 April 2025")
    expect(answers).to_contain_text(STAGE_DECISION["Decided by"])
    go(page, page.get_by_role("button", name="Record the decision"))
    assert urlsplit(page.url).path == f"/policies/{SLUG}"


def add_pilot(page: Page) -> None:
    go(page, link(page, "Add a pilot"))
    fill_pilot(page)
    go(page, page.get_by_role("button", name="Save pilot"))
    assert urlsplit(page.url).path == f"/pilots/{PILOT_SLUG}"


def fill_pilot(page: Page) -> None:
    fill_fields(page, PILOT_TEXT)
    for legend, option in PILOT_RADIOS.items():
        radio(page, legend, option).check()
    for legend, date in PILOT_DATES.items():
        fill_date(page, legend, date)
    page.get_by_label(f"We believe that {HYPOTHESIS['We believe that …']}", exact=False).check()


def add_iteration(page: Page, iteration: Iteration) -> None:
    go(page, link(page, "Add an iteration"))
    page.get_by_label("Iteration number", exact=True).fill(iteration.number)
    fill_fields(page, iteration_fields(iteration))
    fill_date(page, "Start date", iteration.start)
    fill_date(page, "End date", iteration.end)
    radio(page, "Status", iteration.status).check()
    go(page, page.get_by_role("button", name="Save iteration"))
    for name, description, share, control in iteration.arms:
        go(page, link(page, f"Add an arm to iteration {iteration.number}"))
        fill_fields(page, {"Name": name, "Description": description, "Planned share": share})
        if control:
            page.get_by_label("This is the control arm").check()
        go(page, page.get_by_role("button", name="Save arm"))


def iteration_fields(iteration: Iteration) -> dict[str, str]:
    return {
        "Title": iteration.title,
        "What we changed": iteration.what_changed,
        "Why we changed it": iteration.why,
    }


def record_decision(page: Page) -> None:
    go(page, link(page, "Record the decision for iteration 1"))
    radio(page, "What did you decide?", DECISION_OUTCOME).check()
    fill_fields(page, DECISION)
    fill_date(page, "Date of the decision", DECISION_DATE)
    go(page, page.get_by_role("button", name="Save decision"))


def back(page: Page) -> None:
    go(page, page.locator(".govuk-back-link"))


def check_pilot_forms(page: Page) -> None:
    """From the pilot page: the pilot, each iteration, its arms and the decision."""
    go(page, link(page, f"Edit pilot {PILOT_TEXT['Title']}"))
    expect_fields(
        page, {k: v for k, v in PILOT_TEXT.items() if k != "Short name for web addresses"}
    )
    for legend, option in PILOT_RADIOS.items():
        expect_only_checked(page, legend, option)
    for legend, date in PILOT_DATES.items():
        expect_date(page, legend, date)
    expect_only_checked(
        page,
        "Which of the policy's hypotheses does this pilot test?",
        f"We believe that {HYPOTHESIS['We believe that …']}",
        exact=False,
    )
    back(page)

    for iteration in ITERATIONS:
        go(page, link(page, f"Edit iteration {iteration.number}"))
        expect_fields(page, iteration_fields(iteration))
        expect_date(page, "Start date", iteration.start)
        expect_date(page, "End date", iteration.end)
        expect_only_checked(page, "Status", iteration.status)
        back(page)
        if iteration is not ITERATIONS[-1]:
            continue  # the pilot page shows every arm; open the forms of the last iteration's
        for name, description, share, control in iteration.arms:
            go(page, link(page, f"Change arm: {name} in iteration {iteration.number}"))
            expect_fields(page, {"Name": name, "Description": description, "Planned share": share})
            control_box = page.get_by_label("This is the control arm")
            if control:
                expect(control_box).to_be_checked()
            else:
                expect(control_box).not_to_be_checked()
            back(page)

    go(page, link(page, "Change the decision for iteration 1"))
    expect_only_checked(page, "What did you decide?", DECISION_OUTCOME)
    expect_fields(page, DECISION)
    expect_date(page, "Date of the decision", DECISION_DATE)
    back(page)


def check_pilot_page(page: Page) -> None:
    main = page.locator("main")
    for text in (
        PILOT_TEXT["Title"],
        PILOT_TEXT["Unit of randomisation"],
        PILOT_TEXT["Place"],
        "4,000",
        "Cluster randomised controlled trial",
        PILOT_TEXT["Source"],
        "Level 5 of 5",
        f"We believe that {HYPOTHESIS['We believe that …']}",
        "1 May 2025",
        "31 October 2025",
        DECISION_OUTCOME,
        *DECISION.values(),
        "7 July 2025",
    ):
        expect(main).to_contain_text(text)
    expect(link(page, f"Read the source for {PILOT_TEXT['Title']}")).to_have_attribute(
        "href", PILOT_TEXT["Source web address"]
    )
    for iteration in ITERATIONS:
        section = page.locator(f"#iteration-{iteration.number}")
        expect(section).to_contain_text(iteration.title)
        expect(main).to_contain_text(iteration.what_changed)
        expect(main).to_contain_text(iteration.why)
        arms = page.get_by_role("table", name=f"Arms in iteration {iteration.number}")
        for name, description, share, control in iteration.arms:
            row = arms.get_by_role(
                "row", name=re.compile(re.escape(name + (" (control)" if control else "")))
            )
            expect(row.first).to_contain_text(re.compile(rf"{share}(\.0)?%"))
            expect(row.first).to_contain_text(description)


def check_policy_page(page: Page) -> None:
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_have_text(POLICY["Title"])
    for text in (
        POLICY["Team"],
        "Alpha",
        "Illustrative",
        "Tags: energy, housing, grants",
        "Households on low incomes do not know about insulation grants.",
        "Many who qualify never apply.",
        *(line for lines in THEORY.values() for line in lines.splitlines()),
        *FIRST_DECISION["Reason for starting past the idea stage"].splitlines(),
        FIRST_DECISION["Rationale"],
        "Discovery report 2024",
        "Grant take-up data",
        FIRST_DECISION["Decided by"],
        "3 February 2025",
        STAGE_DECISION_CHANGED,
        STAGE_DECISION["Evidence"],
        STAGE_DECISION["Decided by"],
        "14 April 2025",
        *(f"As a {n.as_a}, I need {n.i_need}, so that {n.so_that}." for n in NEEDS),
        *(n.evidence for n in NEEDS),
        f"We believe that {HYPOTHESIS['We believe that …']} for {HYPOTHESIS['for …']} "
        f"will {HYPOTHESIS['will …']}.",
        PILOT_TEXT["Title"],
    ):
        expect(main).to_contain_text(text)
    expect(main).not_to_contain_text(STAGE_DECISION["Rationale"])  # changed before recording


def check_policy_forms(page: Page) -> None:
    """From the policy page: the policy, each user need and the hypothesis."""
    go(page, page.get_by_role("button", name="Edit policy"))
    expect_fields(page, {**POLICY, **THEORY})
    expect(page.get_by_label("This is an illustrative example", exact=True)).to_be_checked()
    back(page)

    for need in NEEDS:
        go(page, link(page, f"Change user need: as a {need.as_a}, I need {need.i_need}"))
        expect_fields(page, need_fields(need))
        back(page)

    go(page, link(page, f"Change hypothesis: we believe that {HYPOTHESIS['We believe that …']}"))
    expect_fields(page, {k: v for k, v in HYPOTHESIS.items() if k != "Key"})
    expect_only_checked(page, "Status", HYPOTHESIS_STATUS)
    back(page)


def test_a_new_editor_records_a_whole_policy_and_every_field_round_trips(
    page: Page, live_server: str
) -> None:
    page.set_default_timeout(5_000)
    admin_adds_the_editor(page, live_server)
    editor_signs_in(page)

    add_policy(page)
    for need in NEEDS:
        add_need(page, need)
    add_hypothesis(page)
    record_stage_decision(page)
    add_pilot(page)
    for iteration in ITERATIONS:
        add_iteration(page, iteration)
    record_decision(page)

    # Every form shows again exactly what was typed, and the pages show it.
    check_pilot_page(page)
    check_pilot_forms(page)
    back(page)  # to the policy
    check_policy_page(page)
    check_policy_forms(page)
