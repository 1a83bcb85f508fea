#!/bin/sh
# Makes the agent's TLS certificate and key once (self-signed, P-256, 10 years), for its host names and
# loopback: the RPM runs it at install so the service serves HTTPS from its first start. Controllers pin or
# trust this certificate; an operator replaces both files with ones from the site's CA at any time.
# Usage: make-host-cert.sh DIR    (writes DIR/agent.crt 0644 and DIR/agent.key 0600; keeps existing ones)
set -eu
dir=${1:?usage: make-host-cert.sh DIR}
[ -e "$dir/agent.crt" ] && [ -e "$dir/agent.key" ] && exit 0
umask 077
mkdir -p "$dir"
fqdn=$(hostname -f 2>/dev/null || hostname)
short=$(hostname -s 2>/dev/null || hostname)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 \
    -subj "/CN=$fqdn/O=tether-agent" \
    -addext "subjectAltName=DNS:$fqdn,DNS:$short,DNS:localhost,IP:127.0.0.1,IP:::1" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/agent.key.new" -out "$dir/agent.crt.new" 2>/dev/null
chmod 0600 "$dir/agent.key.new"
chmod 0644 "$dir/agent.crt.new"
mv "$dir/agent.key.new" "$dir/agent.key"
mv "$dir/agent.crt.new" "$dir/agent.crt"
