"""The rule files: validated with file and line, and free of seed-specific strings."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

import pytest
import yaml

from kg.errors import KgError
from kg.lexicon import load_lexicon, parse_gazetteer, parse_rules

ROOT = Path(__file__).resolve().parent.parent


def test_unknown_predicate_is_reported_with_file_and_line():
    text = "verbs:\n  soutenir: {predicate: supports}\n  aimer: {predicate: likes}\nnouns: {}\ntitles: {}\n" \
           "class_nouns: {}\nnational_actors: {}\ngift_nouns: {}\n"
    with pytest.raises(KgError, match=r"my\.yaml:3: predicate 'likes'"):
        parse_rules("my.yaml", text)


def test_an_office_title_of_no_national_head_is_reported_with_file_and_line():
    text = "verbs: {}\nnouns: {}\ntitles: {}\nclass_nouns: {}\nnational_actors:\n  ministère: GovernmentOrganization\n" \
           "gift_nouns: {}\noffice_titles:\n  ministre: ministèr\n"
    with pytest.raises(KgError, match=r"my\.yaml:9: office title 'ministre': 'ministèr'"):
        parse_rules("my.yaml", text)


def test_gazetteer_entry_without_type_is_reported():
    with pytest.raises(KgError, match=r"g\.yaml:2: missing 'type'"):
        parse_gazetteer("g.yaml", "entities:\n- {id: acme, name: Acme}\n")


def test_user_gazetteer_adds_an_actor(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("entities:\n- {id: acme, type: Company, name: Acme Corp, names: [Acme]}\n", encoding="utf-8")
    lex = load_lexicon((str(f),))
    assert lex.gazetteer.entries["acme"].type == "Company"


def _code_strings(path: Path) -> str:
    """String literals and names of a module, docstrings excluded (they may quote examples)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings:
            out.append(n.value)
        elif isinstance(n, ast.Name):
            out.append(n.id)
    return " ".join(out).lower()


def test_extraction_rules_name_no_seed_entity():
    """Rules (trigger data and code) must be general French, not special cases for the seed articles.
    Comments may quote the seeds as examples; the gazetteer may list well-known actors."""
    def data(name: str) -> str:
        return yaml.safe_dump(yaml.safe_load((resources.files("kg") / "data" / name).read_text(encoding="utf-8")),
                              allow_unicode=True).lower()

    rules, boiler = data("rules.yaml"), data("boilerplate.yaml")
    code = " ".join(_code_strings(p) for p in (ROOT / "kg").rglob("*.py"))
    for name in ("wagner", "prigojine", "poutine", "pentagone", "cavoli", "wiesbaden", "tesla", "musk",
                 "biden", "kiev", "ukraine", "moscou"):
        assert name not in rules and name not in boiler and name not in code, name
