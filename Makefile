# dogcare — the two commands a newcomer needs: `make serve` and `make test`.
# Both set up everything they need (a virtualenv in .venv) on a machine with Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?= -n 2
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome || echo /usr/bin/chromium)

.PHONY: serve test install browser lint typecheck docs check-docs bench clean check-deploy check-template

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "dogcare needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## serve: set up, then run the whole API locally (embedded DynamoDB, local Stripe) on :3000
serve: install
	$(BIN)/dogcare serve --host 127.0.0.1 --port 3000 --seed 5

## browser: headless Chromium for the docs-page test (Debian's package; never a downloaded build)
browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null) \
		|| { echo "could not install chromium with apt-get"; exit 1; }; \
	else \
		echo "The docs-page test needs headless Chromium: install it (Debian/Ubuntu: sudo apt-get install chromium) and run make test again."; exit 1; \
	fi

## test: set up, then run the whole suite
test: install browser check-deploy check-template
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check dogcare handlers

typecheck:
	$(BIN)/mypy

docs: install
	$(BIN)/python -m handlers.openapi
	$(BIN)/python -m dogcare.storage.patterns_doc

bench: install
	$(BIN)/python -m benchmarks

## check-deploy: `sam validate --lint` and `sam build` of template.yaml (no AWS account needed),
## then import every built function from its package and the dependencies layer alone.
## AWS SAM CLI pins its own boto3/pydantic, so it lives in a virtualenv of its own.
SAM_VENV := .tools/sam-venv
SAM := $(SAM_VENV)/bin/sam
SAM_ENV := SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'aws-sam-cli>=1.150,<2'

check-deploy: $(SAM)
	$(SAM_ENV) $(SAM) validate --lint --template template.yaml --region us-east-1
	$(SAM_ENV) $(SAM) build --build-in-source --template template.yaml --region us-east-1
	$(PYTHON) deploy/check_build.py .aws-sam/build

## check-template: checkov over template.yaml (skips justified in .checkov.yaml). checkov pins
## its own boto3/botocore, so it lives in a virtualenv of its own, like SAM CLI;
## tests/security/test_static_analysis.py runs it too.
CHECKOV_VENV := .tools/checkov-venv
CHECKOV := $(CHECKOV_VENV)/bin/checkov

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov>=3.2,<4'

check-template: $(CHECKOV)
	$(CHECKOV) --config-file .checkov.yaml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .dogcare .aws-sam
