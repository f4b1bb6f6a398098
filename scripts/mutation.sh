#!/usr/bin/env bash
# Mutation smoke check, run by hand (`make mutation`): mutmut mutates the modules listed
# in pyproject.toml ([tool.mutmut] only_mutate) and runs the fast test selection there
# (Kuzu only) against each mutant; a surviving mutant is a change no test notices.
#   MUTATION_SAMPLE   mutant-name globs, space-separated (default: every mutant numbered *3 or
#                     *7, a fixed ~20% sample, so runs before and after a change compare the
#                     same mutants; '*' runs them all)
#   MUTATION_NAMES_FILE  instead: a file of mutant names, one a line (e.g. those an earlier
#                     run checked, to compare survivors before and after a change)
#   MUTATION_TIME_BOX seconds before the run stops (default 1800); mutants it did not reach
#                     are reported as "not checked"
#   MUTATION_JOBS     parallel mutants (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ALMA_GRAPH_TEST_BACKENDS=kuzu OMP_NUM_THREADS=1
unset CI  # one backend on purpose
set -f  # the globs are for mutmut, not the shell
if [[ -n "${MUTATION_NAMES_FILE:-}" ]]; then
    SAMPLE="$(tr '\n' ' ' < "$MUTATION_NAMES_FILE")"
else
    SAMPLE="${MUTATION_SAMPLE:-*__mutmut_*[37]}"
fi
rm -rf mutants  # a fresh run: cached verdicts would hide a changed test suite
# shellcheck disable=SC2086
timeout --signal=INT "${MUTATION_TIME_BOX:-1800}" \
    .venv/bin/mutmut run --max-children "${MUTATION_JOBS:-2}" $SAMPLE || true
# shellcheck disable=SC2086
.venv/bin/python scripts/mutation_report.py $SAMPLE
