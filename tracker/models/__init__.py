"""SQLModel tables and their Create/Update schemas, split by noun.

Importing this package registers every table on SQLModel.metadata, which Alembic compares
against the migrations.
"""

from tracker.models.analysis import AnalysisRun
from tracker.models.api_token import ApiToken
from tracker.models.audit import AuditEvent
from tracker.models.engagement import Engagement, EngagementCreate, EngagementUpdate
from tracker.models.iteration import (
    Arm,
    ArmCreate,
    ArmResult,
    ArmResultCreate,
    ArmUpdate,
    ColumnMapping,
    Dataset,
    Decision,
    DecisionCreate,
    Iteration,
    IterationCreate,
    IterationUpdate,
)
from tracker.models.pilot import (
    AnalysisPlan,
    AnalysisPlanCreate,
    AnalysisPlanUpdate,
    Pilot,
    PilotCreate,
    PilotHypothesis,
    PilotUpdate,
    PlanMetric,
    PlanMetricSpec,
)
from tracker.models.policy import (
    Hypothesis,
    HypothesisCreate,
    HypothesisUpdate,
    Metric,
    MetricCreate,
    MetricUpdate,
    Policy,
    PolicyCreate,
    PolicyUpdate,
    StageDecision,
    StageDecisionCreate,
    UserNeed,
    UserNeedCreate,
    UserNeedMetric,
    UserNeedUpdate,
)
from tracker.models.site import ApiRateWindow, SiteSetting
from tracker.models.user import User, UserCreate, UserUpdate

__all__ = [
    "AnalysisPlan",
    "AnalysisPlanCreate",
    "AnalysisPlanUpdate",
    "AnalysisRun",
    "ApiRateWindow",
    "ApiToken",
    "Arm",
    "ArmCreate",
    "ArmResult",
    "ArmResultCreate",
    "ArmUpdate",
    "AuditEvent",
    "ColumnMapping",
    "Dataset",
    "Decision",
    "DecisionCreate",
    "Engagement",
    "EngagementCreate",
    "EngagementUpdate",
    "Hypothesis",
    "HypothesisCreate",
    "HypothesisUpdate",
    "Iteration",
    "IterationCreate",
    "IterationUpdate",
    "Metric",
    "MetricCreate",
    "MetricUpdate",
    "Pilot",
    "PilotCreate",
    "PilotHypothesis",
    "PilotUpdate",
    "PlanMetric",
    "PlanMetricSpec",
    "Policy",
    "PolicyCreate",
    "PolicyUpdate",
    "SiteSetting",
    "StageDecision",
    "StageDecisionCreate",
    "User",
    "UserCreate",
    "UserNeed",
    "UserNeedCreate",
    "UserNeedMetric",
    "UserNeedUpdate",
    "UserUpdate",
]
