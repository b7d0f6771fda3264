"""kg: turn French news articles into a knowledge graph of actors and their relations.

Pipeline, one module per stage, data flowing one way:
ingest -> nlp -> extract (entities, relations) -> resolve -> graph -> query / render / export.
"""

__version__ = "0.1.0"
