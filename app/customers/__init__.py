"""A customer's rights: consent to AI, an explanation of Candor's decisions, access
(export), erasure and retention."""
