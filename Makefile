# dogcare — the two commands a newcomer needs: `make serve` and `make test`.
# Both set up everything they need (a virtualenv in .venv) on a machine with Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?= -n 2
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome || echo /usr/bin/chromium)

.PHONY: serve test install browser lint typecheck docs check-docs bench clean check-deploy check-template web web-check deploy-web

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "dogcare needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## serve: set up, then run the whole API and the app locally (embedded DynamoDB, local Stripe)
## on :3000; the app is at http://127.0.0.1:3000/app/
serve: install web
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

## web: the browser app (web/) built into web/dist, served by `dogcare serve` at /app/.
## npm ci runs again only when package-lock.json changed; the API types are generated from
## docs/openapi.json (web/src/api/schema.d.ts, committed).
WEB_STAMP := web/node_modules/.installed

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_STAMP)

web: $(WEB_STAMP)
	cd web && npm run --silent gen:types && npm run --silent build && npm run --silent check:size

## web-check: the app's unit tests, and a check that the committed API types match the spec
web-check: $(WEB_STAMP)
	cd web && npm test
	cd web && npm run --silent check:types

## test: set up, then run the whole suite (web-check runs before web regenerates the types)
test: install browser check-deploy check-template web-check web
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check dogcare handlers tests

typecheck:
	$(BIN)/mypy

docs: install
	$(BIN)/python -m handlers.openapi
	$(BIN)/python -m dogcare.storage.patterns_doc
	$(BIN)/python -m dogcare.storage.data_model_doc

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

## deploy-web STAGE=dev STRIPE_PUBLISHABLE_KEY=pk_...: build the app, write its config.json from the
## stack's outputs, upload it to the stage's bucket (hashed assets cached for a year, the rest
## no-cache) and invalidate the two files that change in place. Needs the AWS CLI and a deployed stack.
## Assets go first and old ones stay: a browser still on the previous index.html can load its files.
STAGE ?= dev
STACK ?= dogcare-$(STAGE)
WEB_OUTPUTS := .aws-sam/web-outputs-$(STAGE).json

deploy-web: web
	@test -n "$(STRIPE_PUBLISHABLE_KEY)" || { echo "set STRIPE_PUBLISHABLE_KEY=pk_live_... (or pk_test_...)"; exit 1; }
	mkdir -p .aws-sam
	aws cloudformation describe-stacks --stack-name $(STACK) --query 'Stacks[0].Outputs' --output json > $(WEB_OUTPUTS)
	$(PYTHON) deploy/web_config.py $(WEB_OUTPUTS) --publishable-key "$(STRIPE_PUBLISHABLE_KEY)" --output web/dist/config.json
	BUCKET=$$($(PYTHON) deploy/web_config.py $(WEB_OUTPUTS) --get WebBucketName) && \
	aws s3 sync web/dist/assets "s3://$$BUCKET/app/assets" --cache-control 'public, max-age=31536000, immutable' && \
	aws s3 sync web/dist "s3://$$BUCKET/app" --delete --exclude 'assets/*' --cache-control 'no-cache'
	DISTRIBUTION=$$($(PYTHON) deploy/web_config.py $(WEB_OUTPUTS) --get WebDistributionId) && \
	aws cloudfront create-invalidation --distribution-id "$$DISTRIBUTION" --paths /app/index.html /app/config.json
	@echo "web app: $$($(PYTHON) deploy/web_config.py $(WEB_OUTPUTS) --get WebUrl)"

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .dogcare .aws-sam web/node_modules web/dist
