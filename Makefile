# The two entry points of the README. Both create or reuse .venv first.
.PHONY: demo test bench mutation

demo:
	./scripts/bootstrap.sh
	.venv/bin/python -m alma_graph.demo

test:
	./scripts/bootstrap.sh
	./scripts/test.sh

bench:
	./scripts/bootstrap.sh
	.venv/bin/python benchmarks/retrieve_latency.py

# By hand, not in CI: which changes to retrieval / learning / scope / validation no test notices.
mutation:
	./scripts/bootstrap.sh
	./scripts/mutation.sh
