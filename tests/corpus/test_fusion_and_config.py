"""Reciprocal rank fusion and the settings' address handling."""

from __future__ import annotations

import pytest

from tutor.config import Settings
from tutor.corpus.search import reciprocal_rank_fusion


def test_fusion_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([(["a", "b"], 1.0), (["b", "c"], 1.0)])
    # found by both beats first place in one; first in one beats second in one
    assert [item for item, _ in fused] == ["b", "a", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_fusion_weights_and_ties_are_deterministic():
    fused = reciprocal_rank_fusion([(["x"], 1.0), (["y"], 1.0)])
    assert [item for item, _ in fused] == ["x", "y"]  # equal scores: by id
    weighted = reciprocal_rank_fusion([(["x"], 1.0), (["y"], 2.0)])
    assert weighted[0][0] == "y"


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("127.0.0.1:11434", "http://127.0.0.1:11434"),
        ("gpu-box", "http://gpu-box:11434"),
        (":8080", "http://127.0.0.1:8080"),
        ("https://ollama.example:443/", "https://ollama.example:443"),
        ("http://10.1.2.3", "http://10.1.2.3:11434"),
    ],
)
def test_ollama_host_follows_ollamas_convention(monkeypatch, value, url):
    monkeypatch.setenv("OLLAMA_HOST", value)
    assert Settings().ollama_url == url


def test_data_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "elsewhere"))
    settings = Settings()
    assert settings.catalog_path == tmp_path / "elsewhere" / "tutor.sqlite"
    assert settings.topics_path.name == "topics.toml"
