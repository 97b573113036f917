"""A terminal study tutor for the Databricks Certified Generative AI Engineer Associate exam."""

__version__ = "0.1.0"
