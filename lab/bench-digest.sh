#!/usr/bin/env bash
# SHA-256 and MD5 of 4 MiB chunks, the JDK's against the host's libcrypto (Digests, what backups hash
# chunks and S3 PUTs with), under the agent unit's JVM flags (C1 only: no digest intrinsic) and under C2.
# Run after `mvn package` (target/quarkus-app and target/test-classes); ~20 s, no root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/test-classes/org/tether/digest/DigestBench.class ] \
  || { echo "bench-digest: run mvn package first" >&2; exit 1; }
CP="target/classes:target/test-classes:$(ls target/quarkus-app/lib/main/*.jar target/quarkus-app/lib/boot/*.jar | tr '\n' ':')"
echo "== the agent unit's JVM (-XX:TieredStopAtLevel=1, serial GC)"
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx96m -cp "$CP" org.tether.digest.DigestBench
echo "== C2 (-XX:+TieredCompilation)"
java -XX:+UseSerialGC -Xmx96m -cp "$CP" org.tether.digest.DigestBench
