"""The quiz graph: pick a topic and passage, make a question, verify, ask, grade, remember."""
