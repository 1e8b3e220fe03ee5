#!/bin/sh
# Build stage only: trust the extra CA certificates put in this folder as *.crt (PEM, one or
# many certificates per file), e.g. the CA of a TLS-inspecting proxy. Without any, it does
# nothing. update-ca-certificates adds them to the system bundle (pip, curl, Python) and,
# through Debian's ca-certificates-java hook, to Java's trust store (Maven downloads); both
# want one certificate per file, hence the split.
set -eu
dir="$1"
count=0
for bundle in "$dir"/*.crt; do
    [ -e "$bundle" ] || continue
    prefix="/usr/local/share/ca-certificates/extra-$(basename "$bundle" .crt)"
    awk -v prefix="$prefix" '
        /-----BEGIN CERTIFICATE-----/ { n++; file = sprintf("%s-%03d.crt", prefix, n) }
        file { print > file }
        /-----END CERTIFICATE-----/ { close(file); file = "" }
    ' "$bundle"
    count=$((count + 1))
done
if [ "$count" -gt 0 ]; then
    echo "Trusting the extra CA certificates of $count file(s) for this build."
    update-ca-certificates
fi
