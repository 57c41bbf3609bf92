"""Forgetting a person on request (issue 17): who they are, what to remove, what never to load
again."""
