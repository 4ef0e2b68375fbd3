#!/usr/bin/env bash
# Makes a Docker engine and the `debian:bookworm-slim` base image available.
# Idempotent: every step is skipped when its result is already there.
#
#   scripts/setup-docker.sh          install and start the engine if needed, make the base image
#
# The engine is started without a bridge network (`--bridge=none`): local mode
# runs containers with `--network host` or `--network none`, so nothing but
# the loopback interface is ever used. When no registry can be reached, the
# base image is built with debootstrap from Debian's mirror and imported.
set -euo pipefail

BASE_IMAGE="${BYOA_BASE_IMAGE:-debian:bookworm-slim}"
DOCKER="${CDK_DOCKER:-docker}"
log() { echo "[setup-docker] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then
    as_root apt-get update -qq
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

engine_up() { "$DOCKER" info >/dev/null 2>&1; }

if ! engine_up; then
  if ! command -v dockerd >/dev/null 2>&1; then
    log "no Docker engine found: installing Debian's docker.io"
    apt_install docker.io
  fi
  if ! command -v "$DOCKER" >/dev/null 2>&1; then
    log "no docker client found: installing Debian's docker.io"
    apt_install docker.io
  fi
  log "starting dockerd (no bridge network, log in /var/log/byoa-dockerd.log)"
  as_root sh -c 'nohup dockerd --bridge=none --iptables=false >/var/log/byoa-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    engine_up && break
    sleep 1
  done
  if ! engine_up; then
    log "the Docker engine did not start within 60 s; last lines of its log:"
    tail -n 20 /var/log/byoa-dockerd.log >&2 || true
    exit 1
  fi
fi
log "Docker engine is running ($("$DOCKER" version --format '{{.Server.Version}}'))"

if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE is present"
  exit 0
fi

if timeout 60 "$DOCKER" pull "$BASE_IMAGE" >/dev/null 2>&1; then
  log "pulled $BASE_IMAGE"
  exit 0
fi

log "$BASE_IMAGE cannot be pulled (no registry reachable): building an equivalent image with debootstrap"
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
rootfs="$(mktemp -d /tmp/byoa-rootfs.XXXXXX)"
trap 'as_root rm -rf "$rootfs"' EXIT
as_root debootstrap --variant=minbase bookworm "$rootfs" >/tmp/byoa-debootstrap.log 2>&1 || {
  log "debootstrap failed; last lines of /tmp/byoa-debootstrap.log:"
  tail -n 20 /tmp/byoa-debootstrap.log >&2
  exit 1
}
as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
as_root tar -C "$rootfs" -c . | "$DOCKER" import --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
log "imported $BASE_IMAGE built from Debian bookworm (minbase)"
