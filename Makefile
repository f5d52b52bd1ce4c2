# Two commands do all the set-up on a fresh machine:
#   make demo   builds a demo exam (3 variants) into output/
#   make test   runs the test suite
VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
STAMP    = $(VENV)/.installed-stamp

.PHONY: setup tex test-tools demo test check bench clean

setup: $(STAMP) tex

# torch is pinned first: the CPU build of 2.13.0 lies on this disk; the package's own
# requirement is a range it satisfies, so nothing bigger is pulled in afterwards.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

tex:
	@bash scripts/install-tex.sh

# Programs only the tests (and the benchmark) run: Chromium and auto-multiple-choice.
test-tools:
	@bash scripts/install-test-tools.sh

demo: setup
	$(BIN)/examgen build bank/exams/demo.yaml --seed 7 --variants 3 --out output

test: setup test-tools
	$(BIN)/python -m pytest -q

check: setup
	$(BIN)/examgen check --samples 200

# 1, 10, 40 and 200 variants, 3 runs each (about 3 minutes on 2 cores); BENCH_ARGS="--variants 1,10 --runs 1"
# for a quick look (see benchmarks/README.md)
bench: setup test-tools
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf output .pytest_cache
