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
#     make showmigrations
#     make sqlmigrate NAME=2026-03-01_add      (a unique prefix is enough)
#     make squashmigrations BEFORE=2026-01-01  (BEFORE is optional)
#     make checkmigrations BASE=origin/main    (for CI)

PGPATCH ?= npx pgpatch
PGPATCH_FLAGS ?={{flags}}
BASE ?= origin/main

.PHONY: migrate makemigrations showmigrations sqlmigrate squashmigrations checkmigrations

migrate:
	$(PGPATCH) $(PGPATCH_FLAGS) migrate

makemigrations:
	@test -n "$(NAME)" || { echo 'usage: make makemigrations NAME=what_it_does' >&2; exit 2; }
	$(PGPATCH) $(PGPATCH_FLAGS) makemigrations '$(NAME)'

showmigrations:
	$(PGPATCH) $(PGPATCH_FLAGS) showmigrations

sqlmigrate:
	@test -n "$(NAME)" || { echo 'usage: make sqlmigrate NAME=patch_name_or_prefix' >&2; exit 2; }
	$(PGPATCH) $(PGPATCH_FLAGS) sqlmigrate '$(NAME)'

squashmigrations:
	$(PGPATCH) $(PGPATCH_FLAGS) squashmigrations $(if $(BEFORE),--before '$(BEFORE)')

checkmigrations:
	$(PGPATCH) $(PGPATCH_FLAGS) makemigrations --check --base '$(BASE)'
