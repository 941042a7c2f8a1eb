# The two commands a user needs:
#   make demo   builds .venv and runs the pipeline on the embedded mock survey (CPU demo config)
#   make test   builds .venv and runs the test suite
#   make science  the demo's methods on 6000 galaxies, ten replicas (issue 16's science run; ~46 min on 2 cores)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= all
CONFIG ?= config/demo.yaml

.PHONY: venv browser demo science paper test lint clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-compile --no-deps -e .
	@# byte-compiled on every core (pip compiles one file at a time: 30 s of the 87 s set-up on 2 cores);
	@# a file that does not compile is compiled on import, as pip would leave it
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib || echo "compileall: some files left to be compiled on import"
	touch $(STAMP)

venv: $(STAMP)

# gpu=2: the demo trains two replicas side by side, one thread each (simclr.threads_per_replica)
demo: venv
	$(BIN)/snakemake --cores $(CORES) --resources gpu=2 --configfile $(CONFIG)

science: venv
	$(BIN)/snakemake --cores $(CORES) --resources gpu=2 --configfile config/demo.yaml config/science.yaml

paper: venv
	$(BIN)/snakemake --cores $(CORES) --resources gpu=1 --configfile config/config.yaml

# The explorer's browser test drives Debian's Chromium through Playwright (no browser download).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the explorer's browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and not root: the explorer's browser test will be skipped"; fi

test: venv browser
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/snakemake --lint --configfile $(CONFIG)
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check manga_ssl workflow/scripts tests bench
	$(BIN)/ruff format --check manga_ssl workflow/scripts tests bench

clean:
	rm -rf results logs benchmarks .snakemake
