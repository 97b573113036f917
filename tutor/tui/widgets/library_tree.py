"""The library's folders and files, each file with its index state in words and colour."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tutor.corpus.library import FileState, Library, LibraryFile, LibraryFolder

STATE_COLOURS = {
    FileState.INDEXED: "text-success",
    FileState.CHANGED: "text-warning",
    FileState.NEW: "text-accent",
    FileState.MISSING: "text-error",
    FileState.SKIPPED: "text-error",
}
"""Theme variables, looked up when a line is drawn: a theme switch recolours the tree."""


def file_label(file: LibraryFile) -> Text:
    # Text, not a string: file names are never read as markup.
    return Text.assemble(file.name, "  ", file.detail)


def folder_label(folder: LibraryFolder) -> Text:
    return Text.assemble((str(folder.root), "bold"), "  ", (folder.detail, "italic"))


class LibraryTree(Tree[LibraryFolder | LibraryFile]):
    """One branch per folder; folders the learner folded stay folded across refreshes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Library", id=id)
        self.show_root = False
        self.guide_depth = 3
        self._folded: set[Path] = set()

    def show(self, library: Library) -> None:
        """Replace the listing, keeping folded folders folded and the cursor's line."""
        line = self.cursor_line
        for node in self.root.children:
            if isinstance(node.data, LibraryFolder):
                if node.is_expanded:
                    self._folded.discard(node.data.root)
                else:
                    self._folded.add(node.data.root)
        self.clear()
        for folder in library.folders:
            branch = self.root.add(
                folder_label(folder), folder, expand=folder.root not in self._folded
            )
            for file in folder.files:
                branch.add_leaf(file_label(file), file)
        if line >= 0:
            self.call_after_refresh(self._restore_cursor, line)

    def _restore_cursor(self, line: int) -> None:
        if self.last_line >= 0:
            self.move_cursor_to_line(min(line, self.last_line))

    def lines(self) -> list[str]:
        """The listing as plain text, one entry per folder or file (what a reader sees)."""
        out: list[str] = []

        def walk(node: TreeNode) -> None:
            for child in node.children:
                out.append(child.label.plain)
                walk(child)

        walk(self.root)
        return out

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        data = node.data
        if isinstance(data, LibraryFile):
            colour = self._colour(STATE_COLOURS[data.state])
            if colour is not None:
                text.stylize(colour, len(text) - len(data.detail))
        return text

    def _colour(self, variable: str) -> Style | None:
        try:
            return Style(color=Color.parse(self.app.theme_variables[variable]).rich_color)
        except (KeyError, ColorParseError):
            return None
