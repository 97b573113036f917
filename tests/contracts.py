"""The CLI's machine-readable output, as the tutor promises it to scripts."""

INDEX_SUMMARY_KEYS = {
    "files_seen",
    "files_indexed",
    "chunks_added",
    "chunks_removed",
    "chunks_unchanged",
    "skipped",
    "seconds",
}
SEARCH_RESULT_KEYS = {"rank", "text", "source", "heading", "lines", "topics", "score"}
