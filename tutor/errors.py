"""The tutor's own errors: each carries a one-line message meant for the learner."""


class TutorError(Exception):
    """A problem the learner can act on; the CLI prints the message, never a traceback."""


class IndexBusyError(TutorError):
    """Another process holds the index write lock."""


class IndexMismatchError(TutorError):
    """The index was built with a different embedding model than the one configured."""

    def __init__(self, built_with: str | None, configured: str) -> None:
        super().__init__(
            f"the index was built with embedding model '{built_with}' but the tutor is set to "
            f"'{configured}'; run `tutor index --rebuild` (or set TUTOR_EMBEDDING_MODEL back)"
        )


class EmptyIndexError(TutorError):
    """Nothing has been indexed yet."""


class StoreVersionError(TutorError):
    """The data dir was written by a newer version of the tutor."""


class TurnCancelled(TutorError):
    """The learner stopped an answer while it was being written; the turn is not saved."""


def one_line(error: BaseException) -> str:
    """An error as one line for the learner; the tutor's own errors already are one."""
    if isinstance(error, TutorError):
        return str(error)
    return f"{type(error).__name__}: {error}".splitlines()[0]
