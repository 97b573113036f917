"""The exam (F7): how the study material covers the exam's blueprint (Coverage) and the
forecast score for the exam date saved in Settings (Readiness), as `tutor coverage` and
`tutor readiness` show them. Read in workers whenever the screen is shown, and when the
learner, the exam date or the material changes; nothing here writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, TabbedContent, TabPane

from tutor.errors import TutorError
from tutor.tui.screens.base import TutorScreen
from tutor.tui.widgets.exam_coverage import CoverageView
from tutor.tui.widgets.exam_readiness import ReadinessView, date_message
from tutor.tui.widgets.exam_text import NO_BLUEPRINT

if TYPE_CHECKING:
    from tutor.learner.coverage import Coverage
    from tutor.tui.services import Readiness, Services

COVERAGE, READINESS = "coverage", "readiness"


class ExamScreen(TutorScreen):
    """Two tabs over the same blueprint: Coverage (C) and Readiness (R)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "show_tab('coverage')", "Coverage"),
        Binding("r", "show_tab('readiness')", "Readiness"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reads = {COVERAGE: 0, READINESS: 0}
        """How many reads each view has shown (tests wait on these)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=COVERAGE):
            with TabPane("Coverage", id=COVERAGE):
                yield CoverageView(id="coverage-view")
            with TabPane("Readiness", id=READINESS):
                yield ReadinessView(id="readiness-view")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(CoverageView).focus()

    # --- when to read --------------------------------------------------------------------

    async def services_ready(self, services: Services) -> None:
        self.refresh_views()

    async def services_changed(self, services: Services) -> None:
        self.refresh_views()  # the learner or the exam date may have changed

    def on_screen_resume(self) -> None:
        # Answers, a new exam date or reindexed material since the screen was last shown.
        self.refresh_views()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        view = CoverageView if event.pane.id == COVERAGE else ReadinessView
        self.query_one(view).focus()  # the arrows and page keys scroll it

    def refresh_views(self) -> None:
        """Read coverage and readiness afresh (in workers); a no-op until loaded."""
        services = self.services
        if services is None:
            return
        self.read_in_worker(COVERAGE, services.coverage, self._show_coverage, title="Coverage")
        self.read_in_worker(
            READINESS, lambda: read_readiness(services), self._show_readiness, title="Readiness"
        )

    # --- showing -------------------------------------------------------------------------

    def _show_coverage(self, report: Coverage | None) -> None:
        self.query_one(CoverageView).show(report)
        self.reads[COVERAGE] += 1

    def _show_readiness(self, found: Readiness | str) -> None:
        view = self.query_one(ReadinessView)
        if isinstance(found, str):
            view.say(found)
        else:
            view.show(found)
        self.reads[READINESS] += 1


def read_readiness(services: Services) -> Readiness | str:
    """The forecast for the saved exam date, or why there is none in one line."""
    try:
        found = services.readiness()
    except TutorError as error:  # no exam date, it has passed, or a faulty blueprint
        return date_message(services.settings.exam_date, error)
    return NO_BLUEPRINT if found is None else found
