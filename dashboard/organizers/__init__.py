"""Organizers: questionnaires clients fill over several visits, then submit."""
