#!/usr/bin/env bash
# Unpacks syslog-ng (core and its http module) from Debian's .debs into build/shippers/syslog-ng,
# for the integration tests. Its package conflicts with rsyslog's, which the tests also need, so it
# is run from here rather than installed. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=build/shippers
root=$dest/syslog-ng
[[ -x $root/usr/sbin/syslog-ng && -f $root/usr/lib/syslog-ng/3.38/libhttp.so ]] && exit 0
mkdir -p "$dest/debs"
(
  cd "$dest/debs"
  # apt-get download writes into the current directory; _apt cannot always read it, hence -o.
  apt-get -o APT::Sandbox::User=root download syslog-ng-core syslog-ng-mod-http
)
rm -rf "$root"
for deb in "$dest"/debs/syslog-ng-core_*.deb "$dest"/debs/syslog-ng-mod-http_*.deb; do
  dpkg -x "$deb" "$root"
done
echo "fetch-test-shippers: syslog-ng unpacked into $root"
