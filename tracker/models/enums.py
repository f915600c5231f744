"""Every closed vocabulary of the domain: string enums stored by value under a CHECK."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


class PolicyStage(StrEnum):
    """The GOV.UK service phases a policy moves through, in order."""

    IDEA = "idea"
    DISCOVERY = "discovery"
    ALPHA = "alpha"
    BETA = "beta"
    LIVE = "live"
    RETIRED = "retired"


STAGE_ORDER: tuple[PolicyStage, ...] = tuple(PolicyStage)


class MetricKind(StrEnum):
    BINARY = "binary"
    CONTINUOUS = "continuous"
    COUNT = "count"


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


class HypothesisStatus(StrEnum):
    UNTESTED = "untested"
    TESTING = "testing"
    SUPPORTED = "supported"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"


class PilotDesign(StrEnum):
    INDIVIDUAL_RCT = "individual_rct"
    CLUSTER_RCT = "cluster_rct"
    STEPPED_WEDGE = "stepped_wedge"
    AB_TEST = "ab_test"
    BEFORE_AFTER = "before_after"
    DIFFERENCE_IN_DIFFERENCES = "difference_in_differences"
    QUALITATIVE = "qualitative"


class EvaluationType(StrEnum):
    IMPACT = "impact"
    PROCESS = "process"
    VALUE_FOR_MONEY = "value_for_money"


class PilotStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ANALYSING = "analysing"
    COMPLETE = "complete"
    STOPPED = "stopped"


class IterationStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ANALYSING = "analysing"
    COMPLETE = "complete"


class DecisionOutcome(StrEnum):
    ADAPT = "adapt"
    SCALE = "scale"
    STOP = "stop"
    CONTINUE = "continue"


class MetricRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    GUARDRAIL = "guardrail"


class Sidedness(StrEnum):
    TWO_SIDED = "two_sided"
    GREATER = "greater"
    LESS = "less"


class MultipleTesting(StrEnum):
    NONE = "none"
    HOLM = "holm"
    BENJAMINI_HOCHBERG = "benjamini_hochberg"


class EngagementGroup(StrEnum):
    PUBLIC = "public"
    FRONTLINE_STAFF = "frontline_staff"
    EXPERTS = "experts"
    USERS = "users"
    DELIVERY_PARTNERS = "delivery_partners"


class EngagementMethod(StrEnum):
    WORKSHOP = "workshop"
    INTERVIEW = "interview"
    SURVEY = "survey"
    CONSULTATION = "consultation"
    USER_RESEARCH = "user_research"


class ResultSource(StrEnum):
    SUMMARY = "summary"  # sufficient statistics supplied by a person or a portfolio file
    DATASET = "dataset"  # derived from an uploaded unit-level dataset


class Role(StrEnum):
    """What a user may do; each role includes everything the ones before it may do."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ANALYST = "analyst"
    ADMIN = "admin"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


def enum_column_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint on SQLite and PostgreSQL.

    Native PostgreSQL enums need ALTER TYPE to grow, which Alembic cannot autogenerate; a CHECK
    constraint on a string column behaves the same on both databases and migrates in batch mode.
    """
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
