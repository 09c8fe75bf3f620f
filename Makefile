# coalizione — the commands of CONTRACT.md. Only Python 3.11+ and make are
# assumed; everything else goes into .venv/.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
SERVICES := registry enrolment scheduling notify
PACKAGES := libs/coalizione_common $(addprefix services/,$(SERVICES)) services/console embedded
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast up down stack bench install clean

$(STAMP): requirements.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt $(addprefix -e ,$(PACKAGES))
	touch $(STAMP)

install: $(STAMP)

# A simulated date inside the 2017 enrolment window, so that a newcomer can
# submit a scheda; `make run COALIZIONE_NOW=` runs on the real clock.
COALIZIONE_NOW ?= 2017-06-20T09:00:00+02:00

run: $(STAMP)
	PORT=$(PORT) COALIZIONE_NOW=$(COALIZIONE_NOW) $(BIN)/python -m coalizione_embedded

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration"

up:
	docker compose up -d --build

down:
	docker compose down

AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672//
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432

stack: $(STAMP)
	PORT=$(PORT) AMQP_URL=$(AMQP_URL) POSTGRES_URL=$(POSTGRES_URL) $(BIN)/python -m coalizione_embedded.stack

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var
