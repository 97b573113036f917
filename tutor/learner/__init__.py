"""The learner: what they did (events, answers, review cards), mastery estimated from it,
review scheduling, progress over time and reports, Anki export."""
