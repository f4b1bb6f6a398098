#!/usr/bin/env bash
# Mutation smoke check, run by hand (`make mutation`): mutmut mutates the modules listed
# in pyproject.toml ([tool.mutmut] only_mutate) and runs the fast test selection there
# (Kuzu only) against each mutant; a surviving mutant is a change no test notices.
#   MUTATION_SAMPLE   mutant-name glob (default: every mutant numbered *3 or *7, a fixed
#                     ~20% sample, so runs before and after a change compare the same mutants;
#                     '*' runs them all)
#   MUTATION_TIME_BOX seconds before the run stops (default 1800); untested mutants are
#                     reported as "not checked"
#   MUTATION_JOBS     parallel mutants (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ALMA_GRAPH_TEST_BACKENDS=kuzu OMP_NUM_THREADS=1
rm -rf mutants  # a fresh run: cached verdicts would hide a changed test suite
SAMPLE="${MUTATION_SAMPLE:-*__mutmut_*[37]}"
timeout --signal=INT "${MUTATION_TIME_BOX:-1800}" \
    .venv/bin/mutmut run --max-children "${MUTATION_JOBS:-2}" "$SAMPLE" || true
.venv/bin/python scripts/mutation_report.py "$SAMPLE"
