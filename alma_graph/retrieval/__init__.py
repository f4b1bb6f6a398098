"""Retrieval: recipes, one module per signal, fusion, ALMA's factors, the pipeline."""
