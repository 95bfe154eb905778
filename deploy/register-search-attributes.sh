#!/bin/sh
# Register order2cash's custom Temporal search attributes.
#
# Run once the Temporal server is up (docker compose runs it as the one-shot
# `temporal-setup` service, image temporalio/admin-tools).  Idempotent:
# attributes that already exist are skipped, so it is safe on every deploy.
#
# Environment:
#   TEMPORAL_ADDRESS    frontend host:port       (default temporal:7233)
#   TEMPORAL_NAMESPACE  namespace to register in (default default)
#   SETUP_TIMEOUT       seconds to wait for the server/namespace (default 300)
#   RETRY_INTERVAL      seconds between attempts (default 2)
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
SETUP_TIMEOUT="${SETUP_TIMEOUT:-300}"
RETRY_INTERVAL="${RETRY_INTERVAL:-2}"

# name:type - keep in sync with the workflows' search attribute keys.
SEARCH_ATTRIBUTES="
OrderStatus:Keyword
CustomerId:Keyword
OrderTotal:Double
OrderId:Keyword
PartnerId:Keyword
SubOrderStatus:Keyword
"

log() { echo "[register-search-attributes] $*"; }

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

# temporalio/auto-setup creates the "default" namespace shortly after the
# frontend starts; create any other namespace ourselves.
log "waiting for namespace $NAMESPACE"
until temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; do
    if [ "$NAMESPACE" != "default" ]; then
        temporal operator namespace create --namespace "$NAMESPACE" --retention 720h \
            --address "$ADDRESS" >/dev/null 2>&1 || true
    fi
    tick "namespace $NAMESPACE does not exist"
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
