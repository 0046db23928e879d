"""The conversation context's web pages on the admin shell (admin/web), owners only: the schema's
fields (/context/fields), the status workflow drawn as a diagram with the priority rules
(/context/workflow), and the intents with their example phrases and the check for intents too alike
(/context/intents). Each saves through the service the API calls (understanding.context.save_schema,
understanding.service.replace_intents), validated by the same models (SchemaSpec, IntentUpdate).
Templates in understanding/templates/."""

from __future__ import annotations

from fastapi import APIRouter

from understanding.pages import fields, intents, priority, workflow

router = APIRouter()
for _module in (fields, workflow, priority, intents):
    router.include_router(_module.router)
