"""The Textual front end: `TutorApp` and its screens and widgets."""
