"""A French news-like corpus of any size, for the scale benchmarks.

One article in ten is a real article (a seed, with a numbered line so every copy is a
distinct text). The others are generated: French sentences built from Faker's
``fr_FR`` provider (people and organisations: thousands of distinct names, so entity
resolution has real work) and real city names, in the shapes news uses to state relations (titles,
funding with amounts, support, attacks, membership, location), a surname standing
alone after the full name, well-known actors (countries, NATO, Wagner) that recur across
articles, and filler paragraphs of French words. Deterministic for a given seed.

    python bench/corpus.py 1000 /tmp/articles     # writes 00000.txt ... 00999.txt
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = ("la France", "l'Allemagne", "l'Ukraine", "la Russie", "la Pologne", "l'Italie", "l'Espagne",
             "la Belgique", "le Mali", "les États-Unis")
KNOWN = ("l'OTAN", "le groupe Wagner", "l'Union européenne", "l'ONU")
ORG_KINDS = ("la Fondation", "le groupe", "la société", "l'association", "le collectif", "l'agence")
TEMPLATES = (
    "{P}, président de {O}, a annoncé {day} un nouveau plan d'investissement.",
    "{O} a financé {O2} à hauteur de {n} millions d'euros, selon un communiqué.",
    "{C} soutient {O} depuis le début de la crise.",
    "Les forces de {K} ont attaqué {city} dans la nuit de {day}.",
    "{O} est basée à {city}, où elle emploie plusieurs centaines de personnes.",
    "{P2} est membre de {O} depuis 2019.",
    "Selon {last}, la situation reste tendue à {city}.",
    "{C} a accordé une aide de {n} millions de dollars à {C2}.",
    "{P} dirige {O} depuis trois ans.",
    "{K} s'oppose à {O2}, a déclaré {P2} lors d'une conférence de presse.",
)
CITIES = ("Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Bordeaux", "Nantes", "Strasbourg", "Rennes",
          "Grenoble", "Montpellier", "Nice", "Berlin", "Munich", "Varsovie", "Cracovie", "Rome", "Milan", "Madrid",
          "Barcelone", "Bruxelles", "Anvers", "Kiev", "Kharkiv", "Odessa", "Bakhmout", "Bamako", "Gao", "Moscou",
          "Saint-Pétersbourg", "Genève", "Vienne", "Prague", "Lisbonne", "Dakar", "Abidjan", "Tunis", "Alger")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


def generated_article(i: int, fake, rng: random.Random) -> str:
    person, person2 = fake.name(), fake.name()
    org, org2 = f"{rng.choice(ORG_KINDS)} {fake.last_name()}", f"{rng.choice(ORG_KINDS)} {fake.last_name()}"
    values = {"P": person, "P2": person2, "last": person.split()[-1], "O": org, "O2": org2,
              "C": rng.choice(COUNTRIES), "C2": rng.choice(COUNTRIES), "K": rng.choice(KNOWN),
              "city": rng.choice(CITIES), "day": rng.choice(DAYS), "n": rng.randint(2, 900)}
    sentences = [_cap(t.format(**values)) for t in rng.sample(TEMPLATES, rng.randint(5, 8))]
    paragraphs = [" ".join(sentences[:3]), fake.paragraph(nb_sentences=4), " ".join(sentences[3:]),
                  fake.paragraph(nb_sentences=4)]
    title = f"{_cap(values['O'])} : {fake.sentence(nb_words=6).rstrip('.')}"
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def articles(n: int, seed: int = 1, start: int = 0) -> list[str]:
    """Articles number ``start`` to ``start + n - 1`` of the corpus of this seed."""
    from faker import Faker

    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    out = []
    for i in range(start, start + n):
        if i % 10 == 0:
            out.append(seeds[(i // 10) % len(seeds)] + f"\nCopie numéro {i}.\n")
            continue
        fake = Faker("fr_FR")
        fake.seed_instance(seed * 1_000_003 + i)
        out.append(generated_article(i, fake, random.Random(seed * 1_000_003 + i)))
    return out


def write(n: int, folder: Path, seed: int = 1, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(articles(n, seed, start), start=start):
        p = folder / f"{i:05d}.txt"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]))
