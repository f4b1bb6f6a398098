"""One module per candidate signal of the hybrid ranker. Each returns a ranked list of
(memory id, score) for one memory kind, already restricted to what the reader may see
(its owners) and, for scoped retrieval, to ``only_ids`` — before its top-n.

To add a signal: a module here, its name in ``retrieval.recipes.SignalName``, one
branch in ``retrieval.fusion.HybridRanker.rank``."""
