"""Who is acting, and whether their role allows a change. Every write names its actor."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.models import User
from tracker.models.enums import Role
from tracker.services.errors import NotAllowed

ROLE_RANK: dict[Role, int] = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ANALYST: 2, Role.ADMIN: 3}

# The least role that may write each kind of record (DESIGN §1: policy teams edit the story,
# analysts the numbers, admins the people).
WRITE_ROLE: dict[str, Role] = {
    "policy": Role.EDITOR,
    "stage_decision": Role.EDITOR,
    "user_need": Role.EDITOR,
    "hypothesis": Role.EDITOR,
    "pilot": Role.EDITOR,
    "iteration": Role.EDITOR,
    "arm": Role.EDITOR,
    "decision": Role.EDITOR,
    "engagement": Role.EDITOR,
    "metric": Role.ANALYST,
    "arm_result": Role.ANALYST,
    "dataset": Role.ANALYST,
    "analysis_plan": Role.ANALYST,
    "analysis_run": Role.ANALYST,
    "user": Role.ADMIN,
    "site_setting": Role.ADMIN,
}


@dataclass(frozen=True)
class Actor:
    """A signed-in user, a named system process (CLI, import) acting with admin rights, or an
    anonymous reader of published work through the API."""

    label: str
    role: Role
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(label=user.email, role=user.role, user_id=user.id)

    @classmethod
    def system(cls, label: str) -> Actor:
        """The command line and the importer run as the person at the terminal: an admin."""
        return cls(label=label, role=Role.ADMIN)

    @classmethod
    def anonymous(cls) -> Actor:
        """An API caller without a token, let in only to read published work: a viewer's rights,
        so any write it reached would still be refused."""
        return cls(label="anonymous API reader", role=Role.VIEWER)

    def may_write(self, entity_type: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[WRITE_ROLE[entity_type]]


def require_write(actor: Actor, entity_type: str) -> None:
    """Raise NotAllowed unless the actor's role may write this kind of record."""
    if not actor.may_write(entity_type):
        needed = WRITE_ROLE[entity_type].value
        raise NotAllowed(
            f"{actor.label} has the {actor.role.value} role; changing a "
            f"{entity_type.replace('_', ' ')} needs the {needed} role or higher"
        )
