"""The chat tutor graph: route, retrieve, answer with citations, offer a check, remember."""
