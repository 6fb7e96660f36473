# make demo : set up .venv (CPU torch) and generate + render a sample dressed subject, with a contact sheet
# make test : set up .venv and run the test suite
# GPU users: make setup TORCH_SPEC="torch==2.13.0 --index-url <your CUDA wheel index>"  (see README)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_out

.PHONY: setup demo test test-sam bench clean system-deps browser-deps

$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q --no-cache-dir $(TORCH_SPEC)
	$(PIP) install -q --no-cache-dir -c constraints.txt -e ".[dev,app,fed]"
	$(PY) -c "import torch, open3d, anny; print('torch', torch.__version__, '| open3d', open3d.__version__)"
	@if $(PIP) list 2>/dev/null | grep -qi '^torchvision '; then echo "torchvision slipped into $(VENV): refusing" >&2; exit 1; fi
	touch $(STAMP)

setup: $(STAMP)

# open3d needs libusb-1.0 at import time; install it on a fresh Debian/Ubuntu machine.
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then \
	  echo "installing system library libusb-1.0-0 (needed by open3d)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libusb-1.0-0 >/dev/null; \
	fi

demo: $(STAMP)
	$(VENV)/bin/usr demo --out $(DEMO_OUT)

# test files are spread over TEST_WORKERS processes (pytest-xdist), one torch thread each: the suite's slow parts
# (Ray start-up, subprocesses, browser) wait more than they compute, so two workers halve the wall time on 2 cores
TEST_WORKERS ?= 2
test: $(STAMP) browser-deps
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# the browser test drives Debian's chromium (Playwright never downloads a browser here)
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium (for the browser test)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# SAM needs torchvision, which breaks the main env's torch: its wiring is tested in a second env (torch 2.14.1 +
# torchvision 0.29.1 from the local wheel store, segment-anything from PyPI), with the repo on PYTHONPATH.
# It takes about 5.5 GB (a CUDA build of torch): no pip cache, so the wheels are not kept twice.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q --no-cache-dir torch==2.14.1 torchvision==0.29.1 segment-anything==1.0 numpy opencv-python-headless pytest
	touch $(SAM_STAMP)

test-sam: $(SAM_STAMP)
	PYTHONPATH=. $(SAM_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/test_sam.py

bench: $(STAMP)
	$(PY) benchmarks/synth.py --out benchmarks/results/synth.json

clean:
	rm -rf $(VENV) $(SAM_VENV) $(DEMO_OUT) .pytest_cache
