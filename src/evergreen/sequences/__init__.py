"""Sequences (autoresponders): stored sequences, enrolments and the due-step scheduler."""
