#!/bin/bash
# Starts (or kill -9s) the agent under test inside the test-host VM. Its state lives in /var/lib/tether, so a
# start after a kill is a restart with the same journal, as after a crash.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(cd "$HERE/../../.." && pwd)
case "$1" in
  start)
    JAR="$ROOT/target/quarkus-app/quarkus-run.jar"
    [ -f "$JAR" ] || { echo "no agent jar at $JAR (build first)"; exit 1; }
    PORTALS=127.0.0.1:3260 MULTIPATH=false
    if [ "$(cat /run/profile 2>/dev/null)" = multipath ]; then
      PORTALS=127.0.0.1:3260,10.0.2.15:3260 MULTIPATH=true
    fi
    # LIO unless the target load bench asked for tgt (its tgtd on 3261, beside LIO's 3260)
    DRIVER=$(cat /run/target-driver 2>/dev/null || echo lio)
    [ "$DRIVER" = tgt ] && PORTALS=127.0.0.1:3261
    # one pool (default) as before; with the second VG, two: default (thin, cinder-volumes) and thick
    STORAGE="-Dtether.storage.backend=lvm -Dtether.storage.lvm.vg=cinder-volumes"
    # with a second VG a thick pool, with a third an nvmet pool (the reboot test has the third only)
    PVS=$(cat /run/pv)
    if [ -s /run/pv2 ] || [ -s /run/pv3 ]; then
      STORAGE="-Dtether.storage.pools.default.backend=lvm -Dtether.storage.pools.default.vg=cinder-volumes"
    fi
    if [ -s /run/pv2 ]; then
      PVS="$PVS,$(cat /run/pv2)"
      STORAGE="$STORAGE -Dtether.storage.pools.thick.backend=lvm -Dtether.storage.pools.thick.vg=cinder-thick
        -Dtether.storage.pools.thick.volume-backend-name=lvm-thick
        -Dtether.storage.pools.thick.max-over-subscription-ratio=1.0 -Dtether.storage.copy-bps-limit=134217728"
    fi
    if [ -s /run/pv3 ]; then
      PVS="$PVS,$(cat /run/pv3)"
      STORAGE="$STORAGE -Dtether.storage.pools.nvme.backend=lvm -Dtether.storage.pools.nvme.vg=cinder-nvme
        -Dtether.storage.pools.nvme.thin-pool-size=2g
        -Dtether.storage.pools.nvme.target-driver=nvmet -Dtether.storage.pools.nvme.volume-backend-name=lvm-nvme
        -Dtether.storage.target.nvme-portals=127.0.0.1:4420,10.0.2.15:4420"
    fi
    # Keystone and Barbican: the outer test's WireMock on its loopback port 18211 (10.0.2.2 from in here)
    ( umask 077; echo "testhost-password" > /run/keystone-password )
    OPENSTACK="-Dtether.cinder.auth-url=http://10.0.2.2:18211/identity/v3 -Dtether.cinder.username=tether
      -Dtether.cinder.password-file=/run/keystone-password -Dtether.cinder.project-id=a1b2c3d4e5f60718293a4b5c6d7e8f90
      -Dtether.cinder.retries=1 -Dtether.keymanager.endpoint=http://10.0.2.2:18211/barbican"
    # Under TCG a start is ~25 s, most of it loading classes. The app is read from RAM, copied once per boot:
    # over 9p each of its thousands of small jar reads is a round trip (~4 s of a start). The class-data archive
    # AgentClassArchive dumps at the exit of a real start outside (target/testhost/agent-cds.jsa, ~6,400
    # classes) names the jar relative to the app's directory, so the agent starts from there; it is mapped where
    # it was dumped (relocating it costs ~1 s here). Fewer early compilations by C1: ~3 s. Measured with the
    # probe's startagent: ~29 s -> ~22 s to ready.
    APP=/run/tether-app
    if [ ! -f "$APP/quarkus-run.jar" ]; then
      rm -rf "$APP.part" && cp -a "$ROOT/target/quarkus-app" "$APP.part" && mv "$APP.part" "$APP" || exit 1
    fi
    CDS=""
    if [ -f "$ROOT/target/testhost/agent-cds.jsa" ]; then
      [ -f /run/agent-cds.jsa ] || cp "$ROOT/target/testhost/agent-cds.jsa" /run/agent-cds.jsa
      CDS="-XX:SharedArchiveFile=/run/agent-cds.jsa -XX:ArchiveRelocationMode=0"
    fi
    cd "$APP" || exit 1
    # the app's classes unverified (the same classes every run outside the VM verifies): ~8 % of a start here
    # shellcheck disable=SC2086
    nohup java -XX:+UnlockDiagnosticVMOptions -XX:+UseSerialGC -Xmx128m -XX:TieredStopAtLevel=1 $CDS \
      -XX:CICompilerCount=1 -XX:Tier3InvocationThreshold=2000 -XX:Tier3CompileThreshold=20000 -XX:-UsePerfData \
      -XX:-BytecodeVerificationRemote \
      -Dtether.mode=both -Dtether.state-dir=/var/lib/tether \
      $STORAGE $OPENSTACK -Dtether.storage.lvm.pvs="$PVS" \
      -Dtether.storage.lvm.thin-pool-size=6g \
      -Dtether.storage.target.driver=$DRIVER -Dtether.storage.target.portals=$PORTALS -Dtether.iscsi.multipath=$MULTIPATH \
      -Dtether.storage.target.repair-interval=5s \
      -Dtether.storage.images.file-dir="$ROOT/target/testhost-images" \
      -Dtether.storage.images.scratch-dir=/var/lib/tether/image-scratch -Dtether.storage.images.scratch-reserve-mb=64 \
      -Dtether.encryption.luks-iter-time=100ms \
      -Dtether.attach.default-path=kernel -Dtether.iscsi.device-timeout=30s -Dtether.instances.virt-type=qemu \
      '-Dquarkus.log.category."org.tether.exec".level=DEBUG' \
      -Dtether.api.allow-unauthenticated=true -Dtether.api.allow-plain-http=true -Dquarkus.http.host=0.0.0.0 -Dquarkus.http.port=8080 \
      -jar quarkus-run.jar >> /run/agent.log 2>&1 < /dev/null &
    echo $! > /run/agent.pid ;;
  kill)
    kill -9 "$(cat /run/agent.pid)" && echo killed ;;
  *) echo "usage: agent.sh start|kill"; exit 64 ;;
esac
