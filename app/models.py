"""Imports every model so that Base.metadata is complete (for Alembic and tests)."""

from app.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from app.conversations.models import Conversation, Message
from app.conversations.vault_models import SubjectKey, VaultEntry
from app.customers.models import ConsentChange, CustomerConsent
from app.db import Base
from app.tenants.models import ApiKey, PolicyVersion, Tenant
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from escalation.models import Handoff

__all__ = [
    "ApiKey",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEvent",
    "Base",
    "ConsentChange",
    "Conversation",
    "CustomerConsent",
    "Handoff",
    "Message",
    "PolicyVersion",
    "SubjectKey",
    "Tenant",
    "VaultEntry",
    "WebhookDelivery",
    "WebhookEndpoint",
]
