#!/bin/sh
# Create the namespace if it is missing, set its retention and register
# order2cash's custom Temporal search attributes.
#
# Run once the Temporal server is up (docker compose runs it as the one-shot
# `temporal-setup` service, image temporalio/admin-tools).  Idempotent: the
# retention is set again and attributes that already exist are skipped, so it
# is safe on every deploy.
#
# Environment:
#   TEMPORAL_ADDRESS    frontend host:port       (default temporal:7233)
#   TEMPORAL_NAMESPACE  namespace to register in (default default)
#   TEMPORAL_RETENTION  how long closed workflows and their histories are kept
#                       (default P30D): seconds (2592000) or ISO 8601 (P30D,
#                       PT12H) as the app's settings take it, or the temporal
#                       CLI's own form (720h). Temporal refuses less than 1h.
#   SETUP_TIMEOUT       seconds to wait for the server/namespace (default 300)
#   RETRY_INTERVAL      seconds between attempts (default 2)
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION_SETTING="${TEMPORAL_RETENTION:-P30D}"
SETUP_TIMEOUT="${SETUP_TIMEOUT:-300}"
RETRY_INTERVAL="${RETRY_INTERVAL:-2}"

# name:type - keep in sync with SEARCH_ATTRIBUTES in core/temporal_names.py
# (tests/test_docker_compose.py checks it).
SEARCH_ATTRIBUTES="
OrderStatus:Keyword
CustomerId:Keyword
OrderTotal:Double
OrderId:Keyword
PartnerId:Keyword
SubOrderStatus:Keyword
NeedsAttention:Bool
"

log() { echo "[register-search-attributes] $*"; }

# "007" -> "7" (sh arithmetic reads a leading 0 as octal)
strip_zeros() {
    digits="$1"
    while [ "${digits#0}" != "$digits" ] && [ -n "${digits#0}" ]; do
        digits="${digits#0}"
    done
    echo "$digits"
}

# seconds -> whole hours (720h) where they are, else seconds (90s)
seconds_to_cli() {
    secs=$(strip_zeros "$1")
    if [ $((secs % 3600)) -eq 0 ]; then
        echo "$((secs / 3600))h"
    else
        echo "${secs}s"
    fi
}

# TEMPORAL_RETENTION -> a duration the temporal CLI takes (`--retention`):
# seconds and ISO 8601 weeks/days/hours/minutes/seconds (P1W, P30D, P1DT12H,
# PT90M) are converted; anything else (720h, 90m) is passed on as it is.
# ISO years and months (P1Y, P1M) and fractions are refused (status 1).
cli_duration() {
    value="$1"
    case "$value" in
        "") return 1 ;;
        *[!0-9]*) ;;
        *) seconds_to_cli "$value"; return 0 ;;
    esac
    case "$value" in
        P*) ;;
        *) echo "$value"; return 0 ;;
    esac
    rest="${value#P}"
    total=0
    in_time=0
    [ -n "$rest" ] || return 1
    while [ -n "$rest" ]; do
        case "$rest" in
            T*)
                [ "$in_time" = 0 ] || return 1
                in_time=1
                rest="${rest#T}"
                [ -n "$rest" ] || return 1
                continue
                ;;
        esac
        number="${rest%%[!0-9]*}"
        [ -n "$number" ] || return 1
        rest="${rest#"$number"}"
        unit="${rest%"${rest#?}"}"
        rest="${rest#?}"
        case "$in_time$unit" in
            0W) factor=604800 ;;
            0D) factor=86400 ;;
            1H) factor=3600 ;;
            1M) factor=60 ;;
            1S) factor=1 ;;
            *) return 1 ;;
        esac
        total=$((total + factor * $(strip_zeros "$number")))
    done
    seconds_to_cli "$total"
}

if ! RETENTION=$(cli_duration "$RETENTION_SETTING"); then
    log "TEMPORAL_RETENTION=$RETENTION_SETTING is not a duration: seconds, ISO 8601 (P30D, PT12H) or 720h"
    exit 2
fi

waited=0
tick() {
    if [ "$waited" -ge "$SETUP_TIMEOUT" ]; then
        log "gave up after ${SETUP_TIMEOUT}s: $1"
        exit 1
    fi
    sleep "$RETRY_INTERVAL"
    waited=$((waited + RETRY_INTERVAL))
}

log "waiting for Temporal at $ADDRESS"
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
    tick "Temporal at $ADDRESS is not serving"
done

# The server (temporalio/server) creates no namespace of ours: create it when it is missing,
# with the retention; a namespace another run created meanwhile is found by the next describe.
log "waiting for namespace $NAMESPACE"
until temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; do
    if temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
            --address "$ADDRESS" >/dev/null 2>&1; then
        log "created namespace $NAMESPACE"
        continue
    fi
    tick "namespace $NAMESPACE does not exist"
done

# Closed workflows and their histories are deleted after the retention: set it on
# every run, so a changed TEMPORAL_RETENTION applies on the next `docker compose up`
# (also to a namespace created before, e.g. by the earlier auto-setup image with 24h).
while :; do
    if out=$(temporal operator namespace update --namespace "$NAMESPACE" --retention "$RETENTION" \
            --address "$ADDRESS" 2>&1); then
        log "retention of namespace $NAMESPACE: $RETENTION (TEMPORAL_RETENTION=$RETENTION_SETTING)"
        break
    fi
    case "$out" in
        *"valid retention"* | *"invalid argument"* | *"InvalidArgument"*)
            log "Temporal refuses the retention $RETENTION (TEMPORAL_RETENTION=$RETENTION_SETTING): $out"
            exit 1
            ;;
    esac
    log "setting the retention failed, retrying: $out"
    tick "could not set the retention of namespace $NAMESPACE"
done

for entry in $SEARCH_ATTRIBUTES; do
    name="${entry%%:*}"
    type="${entry#*:}"
    while :; do
        if out=$(temporal operator search-attribute create --namespace "$NAMESPACE" \
                --name "$name" --type "$type" --address "$ADDRESS" 2>&1); then
            log "registered $name ($type)"
            break
        fi
        case "$out" in
            *"already exists"* | *"AlreadyExists"*)
                log "$name already exists, skipping"
                break
                ;;
        esac
        log "creating $name failed, retrying: $out"
        tick "could not register $name"
    done
done

log "search attributes in namespace $NAMESPACE:"
temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" || true
log "done"
