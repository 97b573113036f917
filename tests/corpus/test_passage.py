"""How a retrieved passage is cited and serialised."""

from tutor.corpus.search import Passage


def passage(heading: str, span=(12, 14), unit="lines") -> Passage:
    return Passage(1, "id", "text", "corpus/guide.md", heading, span, unit, ["rlhf"], 0.03, 0.5)


def test_citation_names_the_innermost_sections_and_lines():
    cited = passage("Guide > Reinforcement Learning > RLHF").citation
    assert cited == "corpus/guide.md § Reinforcement Learning > RLHF (lines 12-14)"
    assert passage("", span=(3, 3)).citation == "corpus/guide.md § (untitled) (line 3)"


def test_pdf_passages_cite_pages():
    pdf = passage("Intro", span=(2, 3), unit="pages")
    assert pdf.citation.endswith("(pages 2-3)")
    data = pdf.to_dict()
    assert data["lines"] is None and data["pages"] == [2, 3]
    assert passage("A > B").to_dict()["lines"] == [12, 14]
