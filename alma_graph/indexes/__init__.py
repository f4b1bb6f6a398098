"""Derived indexes: the embedder, the FAISS vectors and the BM25 index, rebuilt from the graph."""
