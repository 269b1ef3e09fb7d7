"""Outbound webhooks: handoff events sent, signed, to a tenant's helpdesk (docs/webhooks.md)."""
