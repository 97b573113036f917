"""Running the graphs for a front end: conversations and quizzes with their checkpoints,
one writer per thread, and the health check."""
