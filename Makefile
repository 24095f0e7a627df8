# The README's commands. Each target creates .venv if missing and installs what it needs,
# so on a fresh machine `make run` and `make test` are the only set-up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_LAB := $(VENV)/.installed-lab
STAMP_APP := $(VENV)/.installed-app
# Every install takes its versions from the lock file (one resolution of all extras, made by
# uv from pyproject.toml; `make lock` refreshes it). pip applies it as a constraints file, so
# each target installs only the extras it needs, at the tested versions.
LOCK := requirements/lock.txt
UV_VERSION := 0.13.9
PIP_INSTALL := $(BIN)/python -m pip install -q -c $(LOCK)
REPS ?= 20
PYTEST_ARGS ?=
# make test runs on two pytest-xdist workers (the machines have 2 cores; serial, the suite
# takes about twice as long); PYTEST_WORKERS=0 runs it in one process
PYTEST_WORKERS ?= 2
BENCH_ARGS ?=

.PHONY: run test bench validate lab lint clean browser lock fuzz soak app

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(STAMP_DEV): pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev,notebook]'
	touch $@ $(STAMP_RUN)

$(STAMP_LAB): pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e '.[notebook,dask,sensitivity,analysis,app]'
	touch $@ $(STAMP_RUN)

## run: the before/after comparison of the Bozhou scenarios, with a report under out/
run: $(STAMP_RUN)
	$(BIN)/python -m sim compare scenarios/bozhou_before.toml scenarios/bozhou_after.toml \
		--replications $(REPS) --out out/compare --report out/report.html

## browser: Chromium and CJK fonts for the report's browser test and Chinese figures
## (Debian packages via apt-get, only when missing; a failure is not fatal)
browser:
	@(command -v chromium >/dev/null 2>&1 && test -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc) \
		|| (apt-get update && apt-get install -y chromium fonts-noto-cjk) \
		|| echo "browser: could not install chromium / fonts-noto-cjk (the browser test will skip)"

## test: the whole test suite, notebooks included
test: $(STAMP_DEV) browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## fuzz: the mutation fuzz test at 2,000 mutants, random seed (FUZZ_EXAMPLES=N to change;
## make test runs 100, reproducibly); see README "Reliability"
FUZZ_EXAMPLES ?= 2000
fuzz: $(STAMP_DEV)
	SIM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SIM_FUZZ_RANDOM=1 $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/test_fuzz.py -k mutated

## soak: 10,000 replications of a small scenario; fails if memory grows after warm-up
SOAK_REPLICATIONS ?= 10000
soak: $(STAMP_DEV)
	SIM_SOAK_REPLICATIONS=$(SOAK_REPLICATIONS) $(BIN)/python -m pytest -q -s -p no:cacheprovider \
		tests/test_soak.py

## bench: benchmarks, printing ratios against baselines measured in the same run
## (make bench BENCH_ARGS=--quick: a smoke run; see docs/performance.md)
bench: $(STAMP_DEV)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

## validate: the engine against queueing theory (validation/); rewrites docs/validation.md and
## fails if a study fails (about 2-3 minutes on 2 cores; VALIDATE_JOBS=N sets the processes)
validate: $(STAMP_DEV)
	$(BIN)/python -m validation

$(STAMP_APP): pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e '.[app]'
	touch $@ $(STAMP_RUN)

## app: the planner's web app on http://127.0.0.1:5006/ (APP_ARGS="--lang zh --port 8080";
## docs/app.md)
APP_ARGS ?=
app: $(STAMP_APP)
	$(BIN)/python -m sim app $(APP_ARGS)

## lab: JupyterLab on notebooks/ with the package importable
lab: $(STAMP_LAB)
	$(BIN)/python -m jupyter lab notebooks/

## lock: re-resolve every extra of pyproject.toml into requirements/lock.txt (after changing a
## dependency; commit the result). Universal: markers cover other platforms and Python >= 3.11.
lock: | $(BIN)/python
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--quiet -o $(LOCK)

## lint: ruff, and the import layers of pyproject.toml [tool.importlinter] (docs/architecture.md)
lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf out .pytest_cache
