"""Which API operation does what each web form does — or why a form has no API twin.

Anything a person can record in the browser, a pipeline must be able to send (issue 7): this
table is checked by tests against the URL map, so a new web form without an entry fails.
Values are an API endpoint name (`api_v1.…`) or a sentence saying why there is none.
"""

from __future__ import annotations

WEB_WRITE_TWINS: dict[str, str] = {
    "policy_forms.new": "api_v1.create_policy",
    "policy_forms.edit": "api_v1.update_policy",
    "policy_forms.stage": "api_v1.decide_stage",
    "policy_forms.confirm_stage": "api_v1.decide_stage",
    "policy_records.new_metric": "api_v1.create_record_metric",
    "policy_records.edit_metric": "api_v1.update_record_metric",
    "policy_records.new_user_need": "api_v1.create_record_user_need",
    "policy_records.edit_user_need": "api_v1.update_record_user_need",
    "policy_records.new_hypothesis": "api_v1.create_record_hypothesis",
    "policy_records.edit_hypothesis": "api_v1.update_record_hypothesis",
    "policy_records.new_engagement": "api_v1.create_record_engagement",
    "policy_records.edit_engagement": "api_v1.update_record_engagement",
    "pilot_forms.new": "api_v1.create_pilot",
    "pilot_forms.edit": "api_v1.update_pilot",
    "iterations.new": "api_v1.create_iteration",
    "iterations.edit": "api_v1.update_iteration",
    "iterations.new_arm": "api_v1.create_arm",
    "iterations.edit_arm": "api_v1.update_arm",
    "outcomes.results_form": "api_v1.put_result",
    "outcomes.decision": "api_v1.put_decision",
    "plans.new": "api_v1.create_plan",
    "plans.edit": "api_v1.update_plan",
    "plans.lock": "api_v1.lock_plan",
    "results.run": "api_v1.run_pilot_analysis",
    "uploads.new": "api_v1.upload_dataset",
    "uploads.columns": "api_v1.upload_dataset",
    "uploads.confirm": "api_v1.upload_dataset",
    "api_tokens.create": (
        "None on purpose: a token is made by a signed-in person in the browser and shown once, "
        "so a leaked token cannot mint more tokens."
    ),
    "api_tokens.revoke": (
        "None on purpose: revoking is done in the browser by the token's owner, signed in."
    ),
    "users.new": (
        "None yet: adding people and setting their roles stays with admins in the browser "
        "(or `tracker create-user`), not with scripts."
    ),
    "users.edit": "None yet: changing a person's role stays with admins in the browser.",
    "site_settings.edit": (
        "None on purpose: installation settings (such as open API reads) are changed by an "
        "admin in the browser, not by pipelines."
    ),
}
