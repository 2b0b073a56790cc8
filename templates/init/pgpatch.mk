# pgpatch.mk: make targets for the schema and its patches, written by
# "pgpatch init". Use it from your Makefile with:
#
#     include pgpatch.mk
#
# The target database comes from DATABASE_URL (or PGHOST, PGDATABASE...), or
# add --embedded to PGPATCH_FLAGS for a local throwaway server.
#
#     make makemigrations NAME=add_book_isbn
#     make migrate
#     make planmigrations                      (what migrate would do, changing nothing)
#     make showmigrations
#     make sqlmigrate NAME=2026-03-01_add      (a unique prefix is enough)
#     make squashmigrations BEFORE=2026-01-01  (BEFORE is optional)
#     make checkmigrations BASE=origin/main    (for CI: schema files changed without a patch?)
#     make checkschema BASE=origin/main        (for CI: do the patches build the schema files?)
#     make devdb                               (the developer's database: DEV_DSN, or DATABASE_URL)
#     make testdb                              (the template test databases are cloned from: TEMPLATE)
#
# NAME, BEFORE and BASE reach the shell as environment variables, never pasted into the
# command line, so NAME="Bob's change" is safe. pgpatch is not on the npm registry: install it
# as a dev dependency (see its README); --no-install keeps npx from fetching anything.

PGPATCH ?= npx --no-install pgpatch
PGPATCH_FLAGS ?={{flags}}
BASE ?= origin/main
# make devdb: a database that exists (an empty one is built from the schema files); empty: the target above.
DEV_DSN ?=
# make testdb: kept on the target's server, equal to the schema files plus the patches.
TEMPLATE ?= {{app}}_template

.PHONY: migrate planmigrations makemigrations showmigrations sqlmigrate squashmigrations checkmigrations checkschema devdb testdb

migrate:
	$(PGPATCH) $(PGPATCH_FLAGS) migrate

planmigrations:
	$(PGPATCH) $(PGPATCH_FLAGS) migrate --plan

makemigrations sqlmigrate: export PGPATCH_NAME = $(NAME)
squashmigrations: export PGPATCH_BEFORE = $(BEFORE)
checkmigrations checkschema: export PGPATCH_BASE = $(BASE)
devdb: export PGPATCH_DEV_DSN = $(DEV_DSN)
testdb: export PGPATCH_TEMPLATE = $(TEMPLATE)

makemigrations:
	@test -n "$$PGPATCH_NAME" || { echo 'usage: make makemigrations NAME=what_it_does' >&2; exit 2; }
	$(PGPATCH) $(PGPATCH_FLAGS) makemigrations -- "$$PGPATCH_NAME"

showmigrations:
	$(PGPATCH) $(PGPATCH_FLAGS) showmigrations

sqlmigrate:
	@test -n "$$PGPATCH_NAME" || { echo 'usage: make sqlmigrate NAME=patch_name_or_prefix' >&2; exit 2; }
	$(PGPATCH) $(PGPATCH_FLAGS) sqlmigrate -- "$$PGPATCH_NAME"

squashmigrations:
	$(PGPATCH) $(PGPATCH_FLAGS) squashmigrations $${PGPATCH_BEFORE:+--before "$$PGPATCH_BEFORE"}

checkmigrations:
	$(PGPATCH) $(PGPATCH_FLAGS) makemigrations --check --base "$$PGPATCH_BASE"

checkschema:
	$(PGPATCH) $(PGPATCH_FLAGS) check --base "$$PGPATCH_BASE"

# Nothing is asked (--no-input): after a pull or a branch switch, from scripts and editors too.
devdb:
	$(PGPATCH) $(PGPATCH_FLAGS) migrate --no-input $${PGPATCH_DEV_DSN:+--dsn "$$PGPATCH_DEV_DSN"}

testdb:
	$(PGPATCH) $(PGPATCH_FLAGS) testdb --template "$$PGPATCH_TEMPLATE"
