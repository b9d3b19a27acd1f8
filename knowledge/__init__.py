"""The knowledge-base domain: schema, YAML load/validate/export, normalisation and matching.

No Telegram and no database imports here: the matcher is benchmarked, tested and reused on its own.
"""
