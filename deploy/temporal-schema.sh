#!/bin/sh
# Create or upgrade Temporal's databases on PostgreSQL: the default store (`temporal`) and the
# visibility store (`temporal_visibility`).
#
# docker compose runs it as the one-shot `temporal-schema` service (image temporalio/admin-tools,
# of the server's version) before it starts the server. Idempotent: a database that exists is
# kept, `setup-schema -v 0.0` leaves a schema that is already further alone, and `update-schema`
# applies only the versions the database lacks, so the same job upgrades the schema when the
# images move to a newer Temporal version.
#
# Environment (as the server's, so both read one block of docker-compose.yml):
#   POSTGRES_SEEDS      host of Temporal's PostgreSQL        (default temporal-db)
#   DB_PORT             its port                             (default 5432)
#   POSTGRES_USER       user                                 (default temporal)
#   POSTGRES_PWD        password (handed on as SQL_PASSWORD, never on a command line)
#   DBNAME              default store's database             (default temporal)
#   VISIBILITY_DBNAME   visibility store's database          (default temporal_visibility)
#   SCHEMA_DIR          the image's PostgreSQL schemas       (default /etc/temporal/schema/postgresql/v12)
set -eu

HOST="${POSTGRES_SEEDS:-temporal-db}"
PORT="${DB_PORT:-5432}"
USER_NAME="${POSTGRES_USER:-temporal}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
SCHEMA_DIR="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
SQL_PASSWORD="${POSTGRES_PWD:-}"
export SQL_PASSWORD

log() { echo "[temporal-schema] $*"; }

sql_tool() {
    temporal-sql-tool --plugin postgres12 --ep "$HOST" -p "$PORT" -u "$USER_NAME" "$@"
}

# database name, schema subdirectory (temporal | visibility)
prepare() {
    db="$1"
    versioned="$SCHEMA_DIR/$2/versioned"
    # PostgreSQL's image already made a database named like its user; any other is created here
    if out=$(sql_tool --db "$db" create 2>&1); then
        log "created database $db"
    else
        case "$out" in
            *"already exists"*) log "database $db exists" ;;
            *)
                log "cannot create database $db: $out"
                exit 1
                ;;
        esac
    fi
    sql_tool --db "$db" setup-schema -v 0.0
    sql_tool --db "$db" update-schema -d "$versioned"
    log "schema of $db is up to date ($versioned)"
}

prepare "$DBNAME" temporal
prepare "$VISIBILITY_DBNAME" visibility
log "done"
