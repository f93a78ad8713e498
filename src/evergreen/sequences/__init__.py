"""Sequences (autoresponders): being built; today only its pure rules, not yet a registered area."""
