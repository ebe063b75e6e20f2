"""Retrieval and answer quality, measured on the bilingual gold set."""
