"""Candor's own web pages: the demo chat widget (``/demo/``) and the agent and auditor
console (``/console/``), plain HTML, CSS and ES modules served by the app itself."""
