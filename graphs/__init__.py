"""LangGraph graphs of the tutor (chat and quiz); see ARCHITECTURE.md."""
