#!/usr/bin/env bash
# private-pg.sh DIR: makes DIR a private copy of the PostgreSQL 15 installation (binaries, share
# and lib directories; headers linked) and prints the path of its pg_config. PostgreSQL finds its
# files relative to its binaries, so with
#     export PG_CONFIG=$(scripts/private-pg.sh /tmp/mypg)
# `make install`, scripts/pg-tmp.sh, scripts/test.sh and scripts/demo.sh install into and run
# from DIR without touching the system installation: several work trees can be tested at once.
# Run again after installing an extension package (e.g. postgresql-15-cron): its files are added.
set -euo pipefail
dir=${1:?usage: private-pg.sh DIR}
src_bin=$(dirname "$(readlink -f "${SYSTEM_PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}")")
major=$(basename "$(dirname "$src_bin")")
libroot=$(dirname "$(dirname "$src_bin")")          # /usr/lib/postgresql
shareroot=/usr/share/postgresql
if [[ ! -x "$dir$libroot/$major/bin/pg_config" ]]; then
    mkdir -p "$dir$libroot" "$dir$shareroot" "$dir/usr/include"
    cp -a "$libroot/$major" "$dir$libroot/"
    cp -a "$shareroot/$major" "$dir$shareroot/"
    ln -sfn /usr/include/postgresql "$dir/usr/include/postgresql"
    chmod -R a+rX "$dir"
else
    # Extensions packaged since the copy was made (e.g. postgresql-15-cron): add their files,
    # never overwrite ours.
    cp -an "$libroot/$major/lib/." "$dir$libroot/$major/lib/"
    cp -an "$shareroot/$major/extension/." "$dir$shareroot/$major/extension/"
fi
echo "$dir$libroot/$major/bin/pg_config"
