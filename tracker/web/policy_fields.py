"""The forms of the policy pages: a policy's description, its theory of change, a stage decision.

Field names match the service's field names (`to_stage`, `skip_reason`, …) so its validation
errors land on the right field; the theory of change is one list per part, `theory_<part>`.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextInput
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Regexp, StopValidation, ValidationError

from tracker.models import Policy
from tracker.models.base import SLUG_MAX, SLUG_PATTERN
from tracker.models.enums import STAGE_ORDER, PolicyStage
from tracker.models.policy import THEORY_OF_CHANGE_PARTS
from tracker.services.policies import is_skip
from tracker.web.fields import (
    LinesField,
    fieldset_legend,
    long_text,
    required_date,
    required_radios,
    short_text,
    stripped,
)
from tracker.web.filters import label

TEXTAREA = {"params": {"rows": 5}}
LIST_AREA = {"params": {"rows": 3}}


def _slug_needed(form: Any, field: StringField) -> None:
    """A blank slug is made from the title: only a title with no letters or digits leaves none."""
    if field.data:
        return
    if (form.title.data or "").strip():
        raise StopValidation("Enter a short name for web addresses")
    raise StopValidation()  # the title's own error says what to do


def _theory_part(name: str, hint: str) -> LinesField:
    return LinesField(name, description=f"{hint} One per line.", render_kw=LIST_AREA)


class PolicyFields(FlaskForm):  # type: ignore[misc]
    """A policy's description and theory of change (its stage moves only by decision)."""

    title = short_text("Title", required="Enter the title")
    slug = StringField(
        "Short name for web addresses",
        filters=[stripped],
        description=(
            "Lowercase words joined by hyphens, for example free-school-meals. "
            "Leave it blank to make one from the title. It cannot be changed later."
        ),
        validators=[
            _slug_needed,
            Length(
                max=SLUG_MAX,
                message=f"Short name for web addresses must be {SLUG_MAX} characters or fewer",
            ),
            Regexp(
                SLUG_PATTERN,
                message="Short name for web addresses must only include lowercase letters, "
                "numbers and hyphens, like free-school-meals",
            ),
        ],
        widget=GovTextInput(),
    )
    team = short_text(
        "Team",
        required="Enter the team",
        description="The team or organisation that owns the policy.",
    )
    problem_statement = long_text(
        "Problem statement",
        required="Enter the problem statement",
        description="The problem the policy should solve, and for whom.",
        render_kw=TEXTAREA,
    )
    tags = LinesField(
        "Tags",
        description="Words that help people find the policy, one per line, for example schools.",
        render_kw=LIST_AREA,
    )
    illustrative = BooleanField(
        "This is an illustrative example",
        description="Tick this if the policy or its numbers are made up for demonstration.",
        widget=GovCheckboxInput(),
    )
    published = BooleanField(
        "Publish this policy",
        description=(
            "When an admin has turned on open API reads, anyone may read a published policy "
            "and its pilots, results and analyses through the API without signing in. "
            "The web pages still need sign-in."
        ),
        widget=GovCheckboxInput(),
    )
    theory_inputs = _theory_part("Inputs", "The money, people and time put in.")
    theory_activities = _theory_part("Activities", "What the team will do with them.")
    theory_outputs = _theory_part("Outputs", "What the activities produce, like letters sent.")
    theory_outcomes = _theory_part("Outcomes", "The changes expected for people.")
    theory_impact = _theory_part("Impact", "The long-term difference the policy should make.")
    theory_assumptions = _theory_part("Assumptions", "What must be true for this to work.")


class PolicyEditForm(PolicyFields):
    """Everything a team may change about a policy: not its slug, which is in its web address."""

    slug = None
    version = HiddenField()


class StageFields(FlaskForm):  # type: ignore[misc]
    """A stage decision: where to, why, on what evidence, who decided and when.

    `from_stage` is the stage the policy is at (None for a new policy): moving anywhere but the
    next stage needs a reason, which the service also insists on.
    """

    from_stage_value: PolicyStage | None = None

    to_stage = required_radios(
        "Stage",
        [SelectChoice(stage.value, label(stage)) for stage in STAGE_ORDER],
        "Select a stage",
        render_kw={"params": fieldset_legend("Stage")},
    )
    rationale = long_text(
        "Rationale",
        required="Enter the rationale for the decision",
        description="Why the policy is at this stage: what was learned, what was agreed.",
        render_kw=TEXTAREA,
    )
    skip_reason = long_text(
        "Reason for skipping or going back stages",
        description="Only needed if the decision does not move to the next stage.",
        render_kw=LIST_AREA,
    )
    evidence = LinesField(
        "Evidence",
        description="Reports, research or data behind the decision, one per line.",
        render_kw=LIST_AREA,
    )
    decided_by = short_text(
        "Decided by",
        required="Enter who made the decision",
        description="The person or board that made the decision, for example Programme board.",
    )
    decided_on = required_date("Date of the decision", "Enter the date of the decision")

    def validate_skip_reason(self, field: TextAreaField) -> None:
        """Ask for a reason before the service does, in words for this form."""
        stage = _stage_or_none(self.to_stage.data)
        if stage is None or (field.data or "").strip() or not is_skip(self.from_stage_value, stage):
            return
        if self.from_stage_value is None:
            raise ValidationError("Enter why the policy starts past the idea stage")
        raise ValidationError(
            f"Enter why the policy moves from {label(self.from_stage_value)} to {label(stage)} "
            "instead of the next stage"
        )


class PolicyCreateForm(PolicyFields, StageFields):
    """A new policy: its description, a slug for its web address and its first stage."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.to_stage.render_kw = _legend(
            "What stage is the policy at now?",
            hint="Most policies start at Idea. Starting at a later stage needs a reason.",
        )
        self.skip_reason.label.text = "Reason for starting past the idea stage"
        self.skip_reason.description = "Only needed if the policy starts at a stage after Idea."
        if not self.is_submitted():
            self.to_stage.data = PolicyStage.IDEA.value


class StageDecisionForm(StageFields):
    """A move of an existing policy to another stage; `version` and `from_stage` as opened."""

    version = HiddenField()
    from_stage = HiddenField()

    @classmethod
    def for_policy(cls, policy: Policy) -> StageDecisionForm:
        """The form for this policy's next decision, offering every stage but its current one."""
        form = cls()
        form.set_stage_choices(policy.stage)
        return form

    def set_stage_choices(self, current: PolicyStage) -> None:
        """Every stage but the current one, each saying whether it is the next step."""
        self.from_stage_value = current
        stages = [stage for stage in STAGE_ORDER if stage is not current]
        self.to_stage.choices = [SelectChoice(stage.value, label(stage)) for stage in stages]
        hints = [{"hint": {"text": _move(current, stage)}} for stage in stages]
        self.to_stage.render_kw = _legend(
            "Which stage is the policy moving to?",
            hints,
            hint=f"It is at {label(current)} now.",
        )


def _move(current: PolicyStage, stage: PolicyStage) -> str:
    if not is_skip(current, stage):
        return "The next stage"
    if STAGE_ORDER.index(stage) < STAGE_ORDER.index(current):
        return "Goes back: give a reason"
    return "Skips stages: give a reason"


def _legend(
    text: str, items: list[dict[str, Any]] | None = None, *, hint: str = ""
) -> dict[str, Any]:
    """Radio options: the question as a legend, an optional hint, and hints per item."""
    params = fieldset_legend(text)
    if hint:
        params["hint"] = {"text": hint}
    if items:
        params["items"] = items
    return {"params": params}


def _stage_or_none(value: str | None) -> PolicyStage | None:
    try:
        return PolicyStage(value or "")
    except ValueError:
        return None


POLICY_FIELDS = (
    "title",
    "slug",
    "team",
    "problem_statement",
    "tags",
    "illustrative",
    "published",
)
THEORY_FIELDS = tuple(f"theory_{part}" for part in THEORY_OF_CHANGE_PARTS)
DECISION_FIELDS = (
    "to_stage",
    "rationale",
    "skip_reason",
    "evidence",
    "decided_by",
    "decided_on",
)
