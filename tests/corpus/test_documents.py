"""Loading study files into sections of paragraphs, and refusing the files we cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.corpus.documents import Document, Paragraph, SkipFile, load_document

SHARED_TXT = Path("/work/shared/corpus/databricks-genai-engineer-associate-guide.txt")


def load(name: str, text: str | bytes) -> Document:
    data = text.encode() if isinstance(text, str) else text
    return load_document(Path(name), data)


def outline(document: Document) -> list[tuple[tuple[str, ...], list[str]]]:
    """Each section's heading path with its paragraph texts."""
    return [(s.heading_path, [p.text for p in s.paragraphs]) for s in document.sections]


def paragraph_with(document: Document, needle: str) -> Paragraph:
    found = [p for s in document.sections for p in s.paragraphs if needle in p.text]
    assert len(found) == 1, f"expected one paragraph containing {needle!r}, got {found}"
    return found[0]


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text stream per page, one line per string.

    A line holding a single space comes out of text extraction as a blank line, which
    separates paragraphs.
    """
    count = len(pages)
    font = 3 + 2 * count
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
    ]
    for i, lines in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")

    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


TWO_PAGE_PDF_PAGES = [
    [
        "Vector Search Basics",
        " ",
        "Embeddings map text to vectors so that similar passages",
        "end up close together.",
    ],
    ["Chunking decides what a retriever can find.", "Keep paragraphs whole."],
]


# --- markdown --------------------------------------------------------------------------


def test_markdown_atx_headings_nest_and_a_new_top_level_heading_resets_the_path():
    document = load(
        "notes.md",
        "# Retrieval\n\nIntro text.\n\n## Chunking\n\nChunk text.\n\n### Overlap\n\n"
        "Overlap text.\n\n## Ranking\n\nRanking text.\n\n# Evaluation\n\nEval text.\n",
    )

    assert outline(document) == [
        (("Retrieval",), ["Intro text."]),
        (("Retrieval", "Chunking"), ["Chunk text."]),
        (("Retrieval", "Chunking", "Overlap"), ["Overlap text."]),
        (("Retrieval", "Ranking"), ["Ranking text."]),
        (("Evaluation",), ["Eval text."]),
    ]


def test_markdown_closing_hashes_are_not_part_of_the_heading():
    document = load("notes.md", "## Vector Search ##\n\nBody.\n")

    assert outline(document) == [(("Vector Search",), ["Body."])]


def test_markdown_headings_need_no_blank_lines_around_them():
    document = load(
        "notes.md",
        "Preamble line.\n# Guide\n## Setup\nInstall it.\n## Usage\nRun it.\n",
    )

    assert outline(document) == [
        ((), ["Preamble line."]),
        (("Guide", "Setup"), ["Install it."]),
        (("Guide", "Usage"), ["Run it."]),
    ]
    assert paragraph_with(document, "Install") == Paragraph("Install it.", 4, 4)
    assert paragraph_with(document, "Run it") == Paragraph("Run it.", 6, 6)


def test_markdown_setext_headings_are_level_one_and_two():
    document = load(
        "notes.md",
        "Study Guide\n===========\n\nOverview text.\n\nRetrieval\n---------\n\nRetrieval text.\n",
    )

    assert outline(document) == [
        (("Study Guide",), ["Overview text."]),
        (("Study Guide", "Retrieval"), ["Retrieval text."]),
    ]


def test_markdown_setext_heading_directly_followed_by_text():
    document = load("notes.md", "Agents\n------\nAgents call tools.\n")

    assert outline(document) == [(("Agents",), ["Agents call tools."])]
    assert paragraph_with(document, "tools") == Paragraph("Agents call tools.", 3, 3)


def test_markdown_fenced_code_keeps_hash_lines_as_text_in_one_paragraph():
    source = (
        "# Setup\n"
        "\n"
        "```python\n"
        "# install the client\n"
        "\n"
        "## not a heading either\n"
        "import mlflow\n"
        "```\n"
        "\n"
        "After the code.\n"
    )
    document = load("notes.md", source)

    assert [s.heading_path for s in document.sections] == [("Setup",)]
    code = paragraph_with(document, "install the client")
    assert code.text == (
        "```python\n# install the client\n\n## not a heading either\nimport mlflow\n```"
    )
    assert (code.start, code.end) == (3, 8)
    assert paragraph_with(document, "After the code") == Paragraph("After the code.", 10, 10)


def test_markdown_line_spans_are_one_based_and_cover_multi_line_paragraphs():
    source = "# Title\n\nfirst line\nsecond line\nthird line\n\n\n\nlast paragraph\n"
    document = load("notes.md", source)

    paragraphs = document.sections[0].paragraphs
    assert document.span_unit == "lines"
    assert paragraphs == [
        Paragraph("first line\nsecond line\nthird line", 3, 5),
        Paragraph("last paragraph", 9, 9),
    ]
    lines = source.splitlines()
    assert lines[paragraphs[0].start - 1] == "first line"
    assert lines[paragraphs[0].end - 1] == "third line"


def test_markdown_heading_with_text_on_the_next_line_starts_the_span_after_the_heading():
    document = load("notes.md", "# Title\nbody right below\n")

    assert outline(document) == [(("Title",), ["body right below"])]
    assert document.sections[0].paragraphs[0].start == 2


def test_text_before_the_first_heading_has_an_empty_heading_path():
    document = load("notes.md", "Loose intro.\n\n# Later\n\nBody.\n")

    assert outline(document) == [((), ["Loose intro."]), (("Later",), ["Body."])]


def test_headings_without_text_produce_no_empty_sections():
    document = load("notes.md", "# Empty\n\n# Full\n\nBody.\n")

    assert outline(document) == [(("Full",), ["Body."])]


# --- plain text ------------------------------------------------------------------------


def test_plain_text_title_lines_become_sections():
    document = load(
        "guide.txt",
        "Vector Search Basics\n\n"
        "Embeddings place similar passages close together.\n\n"
        "Chunking Strategies\n\n"
        "Split documents at paragraph boundaries.\n",
    )

    assert outline(document) == [
        (("Vector Search Basics",), ["Embeddings place similar passages close together."]),
        (("Chunking Strategies",), ["Split documents at paragraph boundaries."]),
    ]
    assert paragraph_with(document, "Split") == Paragraph(
        "Split documents at paragraph boundaries.", 7, 7
    )


def test_plain_text_sentences_and_bullets_are_not_titles():
    document = load(
        "guide.txt",
        "Overview\n\n"
        "This single line ends like a sentence.\n\n"
        "- Bullet item without a full stop\n\n"
        "1. Numbered step without a full stop\n\n"
        "lowercase start is not a title\n",
    )

    assert outline(document) == [
        (
            ("Overview",),
            [
                "This single line ends like a sentence.",
                "- Bullet item without a full stop",
                "1. Numbered step without a full stop",
                "lowercase start is not a title",
            ],
        )
    ]


def test_plain_text_multi_line_block_is_a_paragraph_even_if_it_looks_like_a_title():
    document = load("guide.txt", "Short Capitalised Line\nAnother Capitalised Line\n")

    assert outline(document) == [
        ((), ["Short Capitalised Line\nAnother Capitalised Line"]),
    ]


def test_plain_text_does_not_treat_hash_lines_as_markdown_headings():
    document = load("guide.txt", "# not a heading in plain text.\n")

    assert outline(document) == [((), ["# not a heading in plain text."])]


@pytest.mark.skipif(not SHARED_TXT.is_file(), reason="shared corpus text file not present")
def test_real_plain_text_guide_gets_its_section_titles():
    document = load_document(SHARED_TXT, SHARED_TXT.read_bytes())

    titles = [s.heading_path[-1] for s in document.sections if s.heading_path]
    assert "Markov Decision Processes and Q-Learning in Databricks Workflows" in titles
    assert "Conclusion" in titles
    assert len(titles) >= 15
    assert all(not title.endswith(".") for title in titles)
    # every paragraph is real prose, not a stray title
    paragraphs = [p for s in document.sections for p in s.paragraphs]
    assert sum(len(p.text) > 200 for p in paragraphs) > len(paragraphs) / 2
    lines = SHARED_TXT.read_text(encoding="utf-8-sig").splitlines()
    for paragraph in paragraphs:
        assert lines[paragraph.start - 1].strip() == paragraph.text.splitlines()[0]


# --- HTML ------------------------------------------------------------------------------

HTML_PAGE = """<!doctype html>
<html>
<head>
<title>Study notes</title>
<style>body { color: red; }</style>
<script>var tracking = "analytics snippet";</script>
</head>
<body>
<nav><a href="/">Home</a> <p>Menu entry</p></nav>
<h1>Retrieval</h1>
<p>Retrieval finds
relevant passages.</p>
<h2>Chunking</h2>
<ul>
<li><p>Split at paragraphs.</p></li>
<li>Keep headings with their text.</li>
</ul>
<h2>Ranking</h2>
<p>Rank by similarity.</p>
<footer><p>Copyright notice</p></footer>
</body>
</html>
"""


def test_html_headings_give_heading_paths_and_blocks_give_paragraphs():
    document = load("page.html", HTML_PAGE)

    assert outline(document) == [
        (("Retrieval",), ["Retrieval finds relevant passages."]),
        (("Retrieval", "Chunking"), ["Split at paragraphs.", "Keep headings with their text."]),
        (("Retrieval", "Ranking"), ["Rank by similarity."]),
    ]


def test_html_drops_script_style_nav_and_footer():
    document = load("page.htm", HTML_PAGE)

    text = " ".join(p.text for s in document.sections for p in s.paragraphs)
    for noise in ["analytics", "color: red", "Menu entry", "Home", "Copyright"]:
        assert noise not in text


def test_html_paragraph_inside_list_item_is_not_duplicated():
    document = load("page.html", HTML_PAGE)

    texts = [p.text for s in document.sections for p in s.paragraphs]
    assert sum("Split at paragraphs." in t for t in texts) == 1


def test_html_paragraph_spans_are_source_lines():
    document = load("page.html", HTML_PAGE)

    lines = HTML_PAGE.splitlines()
    paragraph = paragraph_with(document, "Retrieval finds")
    assert (paragraph.start, paragraph.end) == (11, 12)
    assert lines[paragraph.start - 1].startswith("<p>Retrieval finds")


def test_html_without_any_text_blocks_is_skipped():
    with pytest.raises(SkipFile, match="no readable text"):
        load("page.html", "<html><body><script>only code</script></body></html>")


# --- PDF -------------------------------------------------------------------------------


def test_pdf_paragraphs_carry_page_spans():
    document = load("slides.pdf", make_pdf(TWO_PAGE_PDF_PAGES))

    assert document.span_unit == "pages"
    assert outline(document) == [
        (
            ("Vector Search Basics",),
            [
                "Embeddings map text to vectors so that similar passages end up close together.",
                "Chunking decides what a retriever can find. Keep paragraphs whole.",
            ],
        )
    ]
    first, second = document.sections[0].paragraphs
    assert (first.start, first.end) == (1, 1)
    assert (second.start, second.end) == (2, 2)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(make_pdf(TWO_PAGE_PDF_PAGES)[:300], id="truncated"),
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 4, id="garbage-after-header"),
        pytest.param(b"%PDF-", id="header-only"),
    ],
)
def test_broken_pdf_is_skipped_with_a_pdf_reason(data: bytes):
    with pytest.raises(SkipFile, match="PDF"):
        load("broken.pdf", data)


def test_pdf_suffix_is_case_insensitive():
    document = load("SLIDES.PDF", make_pdf(TWO_PAGE_PDF_PAGES))

    assert document.span_unit == "pages"


# --- files we refuse -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.md", "empty.txt", "empty.html", "empty.pdf"])
@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n  "], ids=["zero-bytes", "whitespace"])
def test_empty_or_whitespace_file_is_skipped(name: str, data: bytes):
    with pytest.raises(SkipFile, match=r"^empty file$"):
        load(name, data)


def test_binary_data_named_markdown_is_skipped_as_binary():
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))

    with pytest.raises(SkipFile, match="binary"):
        load("notes.md", data)


def test_control_character_soup_without_nul_is_skipped_as_binary():
    data = bytes([1, 2, 3, 4, 5, 6, 7, 8, 0x0E, 0x0F]) * 50 + b"some text"

    with pytest.raises(SkipFile, match="binary"):
        load("notes.txt", data)


def test_windows_1252_text_is_read_with_its_characters():
    data = "# Menu\n\nCafé crème brûlée — “quoted”, €5.\n"
    document = load("menu.md", data.encode("cp1252"))

    assert outline(document) == [(("Menu",), ["Café crème brûlée — “quoted”, €5."])]


@pytest.mark.parametrize("name", ["menu.txt", "menu.md", "menu.html"])
def test_text_in_other_encodings_is_skipped_asking_for_utf8(name: str):
    cyrillic = "Меню: кофе и чай, как обычно.\n"
    with pytest.raises(SkipFile, match="UTF-8"):
        load(name, cyrillic.encode("cp1251"))


def test_utf8_with_bom_is_accepted_and_the_bom_dropped():
    document = load("notes.md", "\ufeff# Caf\u00e9\n\nCr\u00e8me br\u00fbl\u00e9e.\n".encode())

    assert outline(document) == [(("Caf\u00e9",), ["Cr\u00e8me br\u00fbl\u00e9e."])]


@pytest.mark.parametrize("name", ["report.docx", "diagram.png", "data.csv", "Makefile"])
def test_unsupported_suffix_is_skipped(name: str):
    with pytest.raises(SkipFile, match="unsupported file type"):
        load(name, b"anything at all\n")
